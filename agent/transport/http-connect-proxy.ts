/**
 * MQTT over TLS through an HTTP CONNECT proxy: the TLS transport the endpoint's port calls for
 * (8883, or 443 with ALPN), inside a tunnel the proxy opens. NOT IMPLEMENTED YET (issue 10): the
 * shape is here so the connection and the heartbeat already deal with it, but creating a client
 * throws ProxyTransportNotImplementedError.
 */
import type { ProxySettings, Transport } from './transport.ts';

export class ProxyTransportNotImplementedError extends Error {
  override readonly name = 'ProxyTransportNotImplementedError';
  readonly code = 'ERR_PROXY_TRANSPORT_NOT_IMPLEMENTED';
  constructor(proxyUrl: string) {
    super(`connecting through the HTTP CONNECT proxy ${proxyUrl} is not implemented yet`);
  }
}

/** A proxy as agent.json and the policy carry it: the password base64-encoded. */
export interface ConfiguredProxy {
  readonly url: string;
  readonly user?: string;
  readonly passwordB64?: string;
}

export function proxySettingsOf(proxy: ConfiguredProxy, connectTimeoutMs: number): ProxySettings {
  const credentials =
    proxy.user === undefined
      ? undefined
      : {
          user: proxy.user,
          password: Buffer.from(proxy.passwordB64 ?? '', 'base64').toString('utf8'),
        };
  return { url: proxy.url, connectTimeoutMs, ...(credentials === undefined ? {} : { credentials }) };
}

/** `inner` is the transport used once the tunnel is open; it names the connection's kind. */
export function httpConnectProxy(inner: Transport, proxy: ProxySettings): Transport {
  return {
    kind: inner.kind,
    endpoint: inner.endpoint,
    proxy: proxy.url,
    clientOptions: () => inner.clientOptions(),
    createClient: () => {
      throw new ProxyTransportNotImplementedError(proxy.url);
    },
  };
}
