/**
 * MQTT over TLS on port 443, with ALPN `x-amzn-mqtt-ca`: AWS IoT's way through firewalls that only
 * open 443. Without the ALPN name AWS IoT would expect HTTPS on that port.
 */
import { connect as mqttConnect } from 'mqtt';
import { tlsOptions } from './tls.ts';
import type { Transport, TransportTarget } from './transport.ts';

export const AWS_IOT_ALPN = 'x-amzn-mqtt-ca';
export const ALPN_PORT = 443;

export function tlsAlpn443({ endpoint, identity }: TransportTarget): Transport {
  return {
    kind: 'mqtts-alpn-443',
    endpoint,
    proxy: null,
    clientOptions: () => ({ ...tlsOptions(endpoint, identity), ALPNProtocols: [AWS_IOT_ALPN] }),
    createClient: (options) => mqttConnect(options),
  };
}
