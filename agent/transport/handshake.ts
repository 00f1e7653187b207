/**
 * The TLS handshake with the endpoint, over a socket we opened (direct or through a proxy's
 * tunnel), checked by hand before a single MQTT byte is written:
 * - the chain must lead to the trusted CAs; when it leads elsewhere, that is TLS interception,
 *   named with the issuer (TlsInterceptionError), never trusted;
 * - the certificate must be valid for the endpoint's name;
 * - on 443 the server must have accepted ALPN `x-amzn-mqtt-ca`.
 *
 * Node verifies the chain either way; `rejectUnauthorized: false` only lets us read the chain
 * that failed, to name its issuer, before we close the socket. Whether the chain leads to a trusted
 * CA is decided from the chain itself (not from OpenSSL's last error, which for an expired
 * intercepting certificate says "expired"). The name is checked here only, against the endpoint's
 * host (Node's own check would fail the handshake with a bare code, and over a proxy's tunnel it
 * would check "localhost").
 *
 * After the handshake, a server whose first bytes are HTTP is an HTTPS port, not MQTT: IoT Core's
 * 443 without ALPN. That is named too (ALPN_REQUIRED), instead of an MQTT parse error.
 */
import { X509Certificate } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect,
  type DetailedPeerCertificate,
  rootCertificates,
  type TLSSocket,
} from 'node:tls';
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

/** Each certificate of a PEM bundle. */
function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

const systemRoots = (() => {
  let parsed: X509Certificate[] | undefined;
  return () => {
    parsed ??= rootCertificates.flatMap(pemCertificates);
    return parsed;
  };
})();

/**
 * Whether the presented chain leads to one of the trusted CAs (the identity's CA file, else the
 * system roots): walking up from the leaf, each certificate is signed by the next, until one is a
 * trusted CA or is signed by one. A forged leaf next to a genuine CA certificate does not count.
 */
export function chainLeadsToTrustedCa(chain: readonly DetailedPeerCertificate[], ca?: string): boolean {
  const trusted = ca === undefined ? systemRoots() : pemCertificates(ca);
  const signedBy = (cert: X509Certificate, issuer: X509Certificate) =>
    cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  const certs = chain.map((presented) => new X509Certificate(presented.raw));
  for (const [i, cert] of certs.entries()) {
    if (trusted.some((root) => root.fingerprint256 === cert.fingerprint256 || signedBy(cert, root)))
      return true;
    const next = certs[i + 1];
    if (next === undefined || !signedBy(cert, next)) return false;
  }
  return false;
}

/**
 * Names a server that answers MQTT with HTTP: the first bytes an MQTT server sends are a CONNACK
 * (0x20), never "HTTP/". Watches only the first chunk, and only once the socket's reader (mqtt.js)
 * attaches: the socket is not switched to flowing before anyone consumes it.
 */
function watchForHttpAnswer(socket: TLSSocket, where: string, alpnAsked: boolean): void {
  const peek = (chunk: Buffer): void => {
    socket.off('data', peek);
    if (chunk.subarray(0, 5).toString('latin1') !== 'HTTP/') return;
    const statusLine = chunk.toString('latin1', 0, Math.min(chunk.length, 120)).split('\r\n')[0];
    socket.destroy(
      alpnAsked
        ? new TlsHandshakeError(
            `${where} answered MQTT with HTTP ("${statusLine}"): it is not an MQTT endpoint`,
            'NOT_MQTT',
          )
        : new TlsHandshakeError(
            `${where} answered MQTT with HTTP ("${statusLine}"): this port does not take MQTT without ALPN ${AWS_IOT_ALPN_NAME}; set "alpn": true in agent.json, or use the MQTT port (8883)`,
            'ALPN_REQUIRED',
          ),
    );
  };
  const onNewListener = (event: string | symbol): void => {
    if (event !== 'data') return;
    socket.off('newListener', onNewListener);
    // newListener fires before the reader's listener is added: the peek sees each chunk first.
    socket.prependListener('data', peek);
  };
  socket.on('newListener', onNewListener);
}

/** ALPN protocol of AWS IoT's MQTT on 443 (tls-alpn-443.ts exports it; repeated to avoid a cycle). */
const AWS_IOT_ALPN_NAME = 'x-amzn-mqtt-ca';

export function tlsHandshake(options: HandshakeOptions): Promise<HandshakeFacts> {
  const { endpoint, identity, path, alpn } = options;
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise<HandshakeFacts>((resolve, reject) => {
    let settled = false;
    // TLS reads the tunnel's socket below JavaScript (no 'data' events there); its byte count moves.
    const tunnelBytesBefore = options.socket?.bytesRead ?? 0;
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
      checkServerIdentity: () => undefined,
    });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      options.socket?.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      const relayedNothing = options.socket !== undefined && options.socket.bytesRead === tunnelBytesBefore;
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
      const chain = presentedChain(socket);
      if (!socket.authorized) {
        const code = String(
          (socket.authorizationError as unknown as { code?: string })?.code ?? socket.authorizationError,
        );
        const top = chain.at(-1);
        if (UNTRUSTED_CHAIN_CODES.has(code) || !chainLeadsToTrustedCa(chain, identity.ca)) {
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
      // The error listener stays: an error before the caller listens must not crash the process.
      socket.off('close', onClose);
      watchForHttpAnswer(socket, where, alpn !== undefined);
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
    const onError = (err: NodeJS.ErrnoException): void => {
      if (alpn !== undefined && err.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
        fail(
          new TlsHandshakeError(
            `${where} refused ALPN ${alpn} (no_application_protocol alert): it does not take MQTT on this port`,
            'ALPN_REFUSED',
          ),
        );
        return;
      }
      // ECONNREFUSED and the like are left to describeConnectFailure, which names them.
      fail(err);
    };
    const onClose = (): void => {
      fail(
        Object.assign(new Error(`${where} closed the connection during the TLS handshake on ${path}`), {
          code: 'ECONNRESET',
        }),
      );
    };
    socket.on('error', onError);
    socket.once('close', onClose);
  });
}
