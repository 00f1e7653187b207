/**
 * MQTT over TLS straight to the endpoint (8883 on AWS IoT), authenticated by the device's X.509
 * certificate.
 */
import { type IClientOptions, connect as mqttConnect } from 'mqtt';
import type { Endpoint, TlsIdentity, Transport, TransportTarget } from './transport.ts';

/** The TLS half of mqtt.js client options; other TLS transports add to it. */
export function tlsOptions(endpoint: Endpoint, identity: TlsIdentity): IClientOptions {
  return {
    protocol: 'mqtts',
    host: endpoint.host,
    port: endpoint.port,
    cert: identity.cert,
    key: identity.key,
    ...(identity.ca === undefined ? {} : { ca: identity.ca }),
    rejectUnauthorized: true,
  };
}

export function directTls({ endpoint, identity }: TransportTarget): Transport {
  return {
    kind: 'mqtts',
    endpoint,
    proxy: null,
    clientOptions: () => tlsOptions(endpoint, identity),
    createClient: (options) => mqttConnect(options),
  };
}
