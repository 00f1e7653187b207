/**
 * How the agent reaches the endpoint: MQTT over TLS with the device's X.509 identity, on 8883 or on
 * 443 with ALPN `x-amzn-mqtt-ca` (AWS IoT's way through firewalls that only open 443).
 * Proxies are carried in the config but not tunnelled yet.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import type { Connectivity } from '#protocol/heartbeat.ts';

export const AWS_IOT_ALPN = 'x-amzn-mqtt-ca';

export interface TlsIdentity {
  readonly cert: string;
  readonly key: string;
  /** Absent: Node's bundled trust store (which holds Amazon Root CA 1). */
  readonly ca?: string;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export async function readTlsIdentity(paths: {
  certPath: string;
  keyPath: string;
  caPath?: string;
}): Promise<TlsIdentity> {
  const [cert, key, ca] = await Promise.all([
    readFile(paths.certPath, 'utf8'),
    readFile(paths.keyPath, 'utf8'),
    paths.caPath === undefined ? undefined : readFile(paths.caPath, 'utf8'),
  ]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

export function transportOf(endpoint: Endpoint): Connectivity['transport'] {
  return endpoint.port === 443 ? 'mqtts-alpn-443' : 'mqtts';
}

/** The TLS half of mqtt.js client options. */
export function tlsClientOptions(endpoint: Endpoint, identity: TlsIdentity): IClientOptions {
  return {
    protocol: 'mqtts',
    host: endpoint.host,
    port: endpoint.port,
    cert: identity.cert,
    key: identity.key,
    ...(identity.ca === undefined ? {} : { ca: identity.ca }),
    rejectUnauthorized: true,
    ...(endpoint.port === 443 ? { ALPNProtocols: [AWS_IOT_ALPN] } : {}),
  };
}
