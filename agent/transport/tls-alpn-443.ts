/**
 * MQTT over TLS on port 443, with ALPN `x-amzn-mqtt-ca`: AWS IoT's way through firewalls that only
 * open 443. Without the ALPN name AWS IoT would expect HTTPS on that port, so a server that does
 * not select it is a failed attempt, named as such.
 */
import { pathName } from './errors.ts';
import { tlsHandshake } from './handshake.ts';
import type { Transport, TransportTarget } from './transport.ts';

export const AWS_IOT_ALPN = 'x-amzn-mqtt-ca';
export const ALPN_PORT = 443;

export function tlsAlpn443({ endpoint, identity }: TransportTarget): Transport {
  const path = pathName(null);
  return {
    kind: 'mqtts-alpn-443',
    endpoint,
    proxy: null,
    path,
    alpn: AWS_IOT_ALPN,
    open: (timeoutMs) => tlsHandshake({ endpoint, identity, path, alpn: AWS_IOT_ALPN, timeoutMs }),
  };
}
