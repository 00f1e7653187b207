/**
 * The TLS handshake with the endpoint, over a socket we opened (direct or through a proxy's
 * tunnel), checked by hand before a single MQTT byte is written:
 * - the chain must lead to the trusted CAs; when it leads elsewhere, that is TLS interception,
 *   named with the issuer (TlsInterceptionError), never trusted;
 * - the certificate must be valid for the endpoint's name;
 * - on 443 the server must have accepted ALPN `x-amzn-mqtt-ca`.
 *
 * Node verifies the chain either way; `rejectUnauthorized: false` only lets us read the chain
 * that failed, to name its issuer, before we close the socket.
 */
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { TlsHandshakeError, TlsInterceptionError } from './errors.ts';
import type { Endpoint, TlsIdentity } from './transport.ts';

/** Verify errors that mean "this chain does not lead to a CA we trust". */
export const UNTRUSTED_CHAIN_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

export interface HandshakeOptions {
  readonly endpoint: Endpoint;
  readonly identity: TlsIdentity;
  /** The path's name for messages: `direct` or `proxy http://host:port`. */
  readonly path: string;
  /** A connected socket to run TLS over (a proxy's tunnel); absent: connect straight to the endpoint. */
  readonly socket?: Socket;
  /** ALPN protocol the server must select (443). */
  readonly alpn?: string;
  readonly timeoutMs: number;
}

/** What the handshake saw, for diagnose. */
export interface HandshakeFacts {
  readonly socket: TLSSocket;
  readonly protocol: string | null;
  readonly alpn: string | null;
  /** Subject and issuer names of the chain the server presented, leaf first. */
  readonly chain: readonly { readonly subject: string; readonly issuer: string; readonly validTo: string }[];
}

/** Names a certificate by its CN, else O, else the whole DN. */
export function certName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (name === undefined) return 'unknown';
  const pick = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return (
    pick(name.CN) ??
    pick(name.O) ??
    (Object.entries(name)
      .map(([k, v]) => `${k}=${pick(v)}`)
      .join(', ') ||
      'unknown')
  );
}

/** The presented chain, leaf first, stopping at a self-signed certificate or a repeat. */
export function presentedChain(socket: TLSSocket): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert !== undefined && cert.raw !== undefined && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function tlsHandshake(options: HandshakeOptions): Promise<HandshakeFacts> {
  const { endpoint, identity, path, alpn } = options;
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise<HandshakeFacts>((resolve, reject) => {
    let settled = false;
    let bytesIn = 0;
    const socket = connect({
      ...(options.socket === undefined
        ? { host: endpoint.host, port: endpoint.port }
        : { socket: options.socket }),
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      cert: identity.cert,
      key: identity.key,
      ...(identity.ca === undefined ? {} : { ca: identity.ca }),
      ...(alpn === undefined ? {} : { ALPNProtocols: [alpn] }),
      // Checked below, by hand, so the failing chain can be named; nothing is sent before that.
      rejectUnauthorized: false,
    });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      options.socket?.destroy();
      reject(err);
    };
    const countIn = (chunk: Buffer) => {
      bytesIn += chunk.length;
    };
    (options.socket ?? socket).on('data', countIn);
    const timer = setTimeout(() => {
      const relayedNothing = options.socket !== undefined && bytesIn === 0;
      fail(
        new TlsHandshakeError(
          relayedNothing
            ? `${path} answered CONNECT but relayed nothing from ${where} within ${options.timeoutMs} ms (the tunnel hangs after CONNECT)`
            : `TLS handshake with ${where} on ${path} did not complete within ${options.timeoutMs} ms`,
          relayedNothing ? 'TUNNEL_HANG' : 'TLS_TIMEOUT',
        ),
      );
    }, options.timeoutMs);
    socket.once('secureConnect', () => {
      (options.socket ?? socket).off('data', countIn);
      const chain = presentedChain(socket);
      if (!socket.authorized) {
        const code = String(
          (socket.authorizationError as unknown as { code?: string })?.code ?? socket.authorizationError,
        );
        const top = chain.at(-1);
        if (UNTRUSTED_CHAIN_CODES.has(code)) {
          fail(new TlsInterceptionError(path, endpoint, certName(top?.issuer as never), code));
          return;
        }
        fail(
          new TlsHandshakeError(
            code === 'CERT_HAS_EXPIRED'
              ? `the certificate presented by ${where} has expired`
              : code === 'CERT_NOT_YET_VALID'
                ? `the certificate presented by ${where} is not valid yet (is this machine's clock right?)`
                : `the certificate presented by ${where} is not accepted (${code})`,
            code,
          ),
        );
        return;
      }
      const leaf = chain[0];
      const nameError = leaf === undefined ? undefined : checkServerIdentity(endpoint.host, leaf);
      if (nameError !== undefined) {
        fail(
          new TlsHandshakeError(
            `the certificate presented by ${where} is not valid for ${endpoint.host}: ${nameError.message}`,
            'ERR_TLS_CERT_ALTNAME_INVALID',
          ),
        );
        return;
      }
      const selected = socket.alpnProtocol === false ? null : (socket.alpnProtocol ?? null);
      if (alpn !== undefined && selected !== alpn) {
        fail(
          new TlsHandshakeError(
            `${where} did not accept ALPN ${alpn} (selected ${selected ?? 'none'}): it does not take MQTT on this port`,
            'ALPN_REFUSED',
          ),
        );
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({
        socket,
        protocol: socket.getProtocol(),
        alpn: selected,
        chain: chain.map((c) => ({
          subject: certName(c.subject as never),
          issuer: certName(c.issuer as never),
          validTo: c.valid_to,
        })),
      });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // ECONNREFUSED and the like are left to describeConnectFailure, which names them.
      fail(err);
    });
    socket.once('close', () => {
      fail(
        Object.assign(new Error(`${where} closed the connection during the TLS handshake on ${path}`), {
          code: 'ECONNRESET',
        }),
      );
    });
  });
}
