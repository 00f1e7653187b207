/**
 * Picks the transport for a target: through the proxy when there is one, around the TLS transport
 * the endpoint's port calls for (443 means ALPN). The only place that knows every transport.
 */
import { httpConnectProxy } from './http-connect-proxy.ts';
import { directTls } from './tls.ts';
import { ALPN_PORT, tlsAlpn443 } from './tls-alpn-443.ts';
import type { Transport, TransportTarget } from './transport.ts';

export function selectTransport(target: TransportTarget): Transport {
  const alpn = target.alpn ?? target.endpoint.port === ALPN_PORT;
  const tls = alpn ? tlsAlpn443(target) : directTls(target);
  return target.proxy === undefined ? tls : httpConnectProxy(tls, target.identity, target.proxy);
}

export {
  interceptionMessage,
  ProxyError,
  type ProxyFailureKind,
  pathName,
  TlsHandshakeError,
  TlsInterceptionError,
} from './errors.ts';
export { type HandshakeFacts, tlsHandshake, UNTRUSTED_CHAIN_CODES } from './handshake.ts';
export { type ConfiguredProxy, displayProxyUrl, proxySettingsOf } from './http-connect-proxy.ts';
export { readTlsIdentity } from './identity.ts';
export { AWS_IOT_ALPN } from './tls-alpn-443.ts';
export type { Endpoint, ProxySettings, TlsIdentity, Transport, TransportTarget } from './transport.ts';
export { connectAuthority, openTunnel } from './tunnel.ts';
