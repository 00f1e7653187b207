/**
 * The named ways a path to the endpoint fails before MQTT starts: the proxy's own failures and
 * TLS interception. Each carries a sentence an admin can act on; `describeConnectFailure` passes
 * them through unchanged.
 */
import type { Endpoint } from './transport.ts';

/** How a proxy failed: each has its own remedy. */
export type ProxyFailureKind =
  /** Nothing listens on the proxy's address. */
  | 'refused'
  /** TCP to the proxy did not complete in time. */
  | 'timeout'
  /** The proxy took the connection but never answered CONNECT, or relayed nothing after its 200. */
  | 'hang'
  /** 407: credentials missing or wrong. */
  | 'auth'
  /** 403: the proxy blocks this destination. */
  | 'forbidden'
  /** Another status (e.g. 502 when the proxy cannot reach the endpoint). */
  | 'status'
  /** Whatever answers is not an HTTP CONNECT proxy. */
  | 'not-a-proxy'
  /** The proxy's host name does not resolve. */
  | 'dns';

export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    readonly kind: ProxyFailureKind,
    /** The proxy URL, never credentials. */
    readonly proxyUrl: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A path's name as logs, heartbeats and diagnose show it. */
export function pathName(proxyUrl: string | null | undefined): string {
  return proxyUrl === null || proxyUrl === undefined ? 'direct' : `proxy ${proxyUrl}`;
}

/** The sentence every surface uses for interception (log, heartbeat, diagnose). */
export function interceptionMessage(path: string, endpoint: Endpoint, issuer: string): string {
  return (
    `TLS interception on ${path}: the certificate for ${endpoint.host} was issued by "${issuer}"; ` +
    `exempt ${endpoint.host} from SSL inspection`
  );
}

/**
 * The endpoint's certificate chain does not lead to the trusted CAs but to `issuer`: something
 * between us and the endpoint re-signs TLS. The connection was closed before any MQTT byte.
 */
export class TlsInterceptionError extends Error {
  override readonly name = 'TlsInterceptionError';
  readonly code = 'TLS_INTERCEPTED';
  constructor(
    readonly path: string,
    readonly endpoint: Endpoint,
    readonly issuer: string,
    /** What OpenSSL said about the chain (SELF_SIGNED_CERT_IN_CHAIN, ...). */
    readonly verifyError: string,
  ) {
    super(interceptionMessage(path, endpoint, issuer));
  }
}

/** The TLS handshake failed for a reason other than interception; the message is complete. */
export class TlsHandshakeError extends Error {
  override readonly name = 'TlsHandshakeError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
