/**
 * MQTT over TLS through an HTTP CONNECT proxy: the proxy opens a TCP tunnel to the endpoint
 * (tunnel.ts), and the TLS the endpoint's port calls for (8883, or 443 with ALPN) runs inside it,
 * end to end with the endpoint. A proxy that re-signs TLS is named as interception, never trusted.
 */
import { pathName } from './errors.ts';
import { tlsHandshake } from './handshake.ts';
import type { ProxySettings, TlsIdentity, Transport } from './transport.ts';
import { openTunnel } from './tunnel.ts';

/** A proxy as agent.json and the policy carry it: the password base64-encoded. */
export interface ConfiguredProxy {
  readonly url: string;
  readonly user?: string;
  readonly passwordB64?: string;
}

/** The URL as reported: scheme, host and port only (a trailing slash dropped). */
export function displayProxyUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

export function proxySettingsOf(proxy: ConfiguredProxy, connectTimeoutMs: number): ProxySettings {
  const credentials =
    proxy.user === undefined
      ? undefined
      : {
          user: proxy.user,
          password: Buffer.from(proxy.passwordB64 ?? '', 'base64').toString('utf8'),
        };
  return {
    url: displayProxyUrl(proxy.url),
    connectTimeoutMs,
    ...(credentials === undefined ? {} : { credentials }),
  };
}

/** `inner` is the transport the tunnel carries; it names the connection's kind and ALPN. */
export function httpConnectProxy(inner: Transport, identity: TlsIdentity, proxy: ProxySettings): Transport {
  const path = pathName(proxy.url);
  const { endpoint, alpn } = inner;
  return {
    kind: inner.kind,
    endpoint,
    proxy: proxy.url,
    path,
    ...(alpn === undefined ? {} : { alpn }),
    open: async (timeoutMs) => {
      const started = Date.now();
      const bounded = { ...proxy, connectTimeoutMs: Math.min(proxy.connectTimeoutMs, timeoutMs) };
      const socket = await openTunnel(bounded, endpoint);
      return tlsHandshake({
        endpoint,
        identity,
        path,
        socket,
        ...(alpn === undefined ? {} : { alpn }),
        timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
      });
    },
  };
}
