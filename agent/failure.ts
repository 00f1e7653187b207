/**
 * Turns what Node, TLS and mqtt.js throw into a reason an operator can act on. The lifecycle
 * event `failed` carries it; a vague "connection error" is what we avoid.
 */
import { ProxyError, TlsHandshakeError, TlsInterceptionError } from './transport/errors.ts';
import { UNTRUSTED_CHAIN_CODES } from './transport/handshake.ts';
import type { Endpoint } from './transport/transport.ts';

export type FailureKind =
  | 'dns'
  | 'tcp'
  | 'timeout'
  | 'tls'
  | 'interception'
  | 'proxy'
  | 'rejected'
  | 'protocol'
  | 'closed';

export interface ConnectFailure {
  readonly kind: FailureKind;
  readonly reason: string;
  readonly code?: string | number;
}

const CONNACK_V311: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized (certificate not registered/active, or no policy allows connecting as this client id)',
};

export function describeConnectFailure(err: unknown, endpoint: Endpoint): ConnectFailure {
  const where = `${endpoint.host}:${endpoint.port}`;
  const e = err as (Error & { code?: string | number }) | undefined;
  const code = e?.code;
  const message = e?.message ?? String(err);
  // Already named where they were detected (transport/): passed through whole.
  if (err instanceof TlsInterceptionError) return { kind: 'interception', code: err.code, reason: message };
  if (err instanceof ProxyError) return { kind: 'proxy', code: err.kind, reason: message };
  if (err instanceof TlsHandshakeError) {
    return { kind: err.code === 'TUNNEL_HANG' ? 'proxy' : 'tls', code: err.code, reason: message };
  }
  if (typeof code === 'number') {
    const known = CONNACK_V311[code];
    return { kind: 'rejected', code, reason: `broker ${where} refused the connection: ${known ?? message}` };
  }
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'dns', code, reason: `cannot resolve ${endpoint.host} (DNS ${code})` };
    case 'ECONNREFUSED':
      return { kind: 'tcp', code, reason: `nothing listens on ${where} (connection refused)` };
    case 'ECONNRESET':
      return {
        kind: 'tcp',
        code,
        reason: `${where} reset the connection (firewall, or broker rejected the client certificate)`,
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { kind: 'tcp', code, reason: `no route to ${where} (${code})` };
    case 'ETIMEDOUT':
      return {
        kind: 'timeout',
        code,
        reason: `TCP connect to ${where} timed out (firewall drops the port?)`,
      };
    case 'CERT_HAS_EXPIRED':
      return { kind: 'tls', code, reason: `the certificate presented by ${where} has expired` };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return {
        kind: 'tls',
        code,
        reason: `the certificate presented by ${where} is not valid for ${endpoint.host}`,
      };
  }
  if (typeof code === 'string' && UNTRUSTED_CHAIN_CODES.has(code)) {
    return {
      kind: 'tls',
      code,
      reason:
        `the certificate chain presented by ${where} is not trusted (${code}); if a proxy or firewall ` +
        `inspects TLS, exempt ${endpoint.host} from inspection`,
    };
  }
  if (code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
    return {
      kind: 'tls',
      code,
      reason: `${where} refused the ALPN protocol offered: it does not take MQTT on this port`,
    };
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
    return { kind: 'tls', code, reason: `TLS handshake with ${where} failed: ${message}` };
  }
  if (message === 'connack timeout') {
    return { kind: 'timeout', reason: `no CONNACK from ${where} within the connect timeout` };
  }
  if (message === 'Keepalive timeout') {
    return { kind: 'timeout', reason: `${where} stopped answering keepalive pings` };
  }
  return code === undefined
    ? { kind: 'protocol', reason: `${where}: ${message}` }
    : { kind: 'protocol', code, reason: `${where}: ${message} (${code})` };
}
