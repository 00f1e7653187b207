/**
 * MQTT over TLS straight to the endpoint (8883 on AWS IoT), authenticated by the device's X.509
 * certificate.
 */
import { pathName } from './errors.ts';
import { tlsHandshake } from './handshake.ts';
import type { Transport, TransportTarget } from './transport.ts';

export function directTls({ endpoint, identity }: TransportTarget): Transport {
  const path = pathName(null);
  return {
    kind: 'mqtts',
    endpoint,
    proxy: null,
    path,
    open: (timeoutMs) => tlsHandshake({ endpoint, identity, path, timeoutMs }),
  };
}
