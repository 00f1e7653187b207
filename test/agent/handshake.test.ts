/**
 * The hand-made checks of the TLS handshake (agent/transport/handshake.ts) against real TLS servers
 * on 127.0.0.1 with certificates made for each case: every way the handshake can go wrong ends in
 * its own named error, and a chain that leads elsewhere than the trusted CA is interception.
 */
import { once } from 'node:events';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Server,
  connect as tcpConnect,
} from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsHandshakeError, TlsInterceptionError, tlsHandshake } from '#agent/transport/index.ts';
import type { TlsIdentity } from '#agent/transport/transport.ts';
import { createTestCa, daysAgo, issueTestServerCert, type TestCa } from '../support/tls-certs.ts';

const HOST = '127.0.0.1';
const ALPN = 'x-amzn-mqtt-ca';

let trusted: TestCa;
let identity: TlsIdentity;
const servers: Server[] = [];

beforeAll(async () => {
  trusted = await createTestCa('fleetpulse test root');
  const client = await issueTestServerCert(trusted, { dnsNames: ['dev-1'] });
  identity = { cert: client.certPem, key: client.keyPem, ca: trusted.certPem };
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

afterAll(() => undefined);

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.listen(0, HOST);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A TLS server presenting `cert`; its sockets are destroyed when the test ends. */
async function tlsServer(
  cert: { certPem: string; keyPem: string },
  options: TlsOptions = {},
  onSecure: (socket: import('node:tls').TLSSocket) => void = () => undefined,
): Promise<number> {
  const server = createTlsServer({ cert: cert.certPem, key: cert.keyPem, ...options }, onSecure);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return listen(server);
}

/** Accepts TCP and sends `reply` (nothing by default), then stays silent. */
async function silentServer(reply?: Buffer): Promise<number> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (reply !== undefined) socket.write(reply);
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return listen(server);
}

async function tcpSocketTo(port: number) {
  const socket = tcpConnect({ host: HOST, port });
  await once(socket, 'connect');
  return socket;
}

const handshake = (port: number, extra: Partial<Parameters<typeof tlsHandshake>[0]> = {}) =>
  tlsHandshake({ endpoint: { host: HOST, port }, identity, path: 'direct', timeoutMs: 2_000, ...extra });

describe('TLS handshake checks', () => {
  it('accepts a valid certificate from the trusted CA and reports the chain', async () => {
    const port = await tlsServer(await issueTestServerCert(trusted));

    const facts = await handshake(port);
    facts.socket.destroy();

    expect(facts.chain[0]).toMatchObject({ subject: 'localhost', issuer: 'fleetpulse test root' });
    expect(facts.alpn).toBeNull();
  });

  it('names an expired server certificate from the trusted CA as expired', async () => {
    const port = await tlsServer(
      await issueTestServerCert(trusted, { notBefore: daysAgo(30), notAfter: daysAgo(1) }),
    );

    const err = await handshake(port).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err).toMatchObject({
      code: 'CERT_HAS_EXPIRED',
      message: `the certificate presented by ${HOST}:${port} has expired`,
    });
  });

  it('names a certificate for another host name', async () => {
    const port = await tlsServer(
      await issueTestServerCert(trusted, { dnsNames: ['other.example'], ips: [] }),
    );

    const err = await handshake(port).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect((err as TlsHandshakeError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((err as Error).message).toMatch(
      new RegExp(`^the certificate presented by ${HOST}:${port} is not valid for ${HOST}: `),
    );
  });

  it('checks the name against the endpoint over a tunnel too, not against "localhost"', async () => {
    const port = await tlsServer(await issueTestServerCert(trusted, { dnsNames: ['localhost'], ips: [] }));

    const err = await handshake(port, {
      socket: await tcpSocketTo(port),
      path: 'proxy http://127.0.0.1:3128',
    }).catch((e: unknown) => e);

    expect((err as TlsHandshakeError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('names a chain from another CA as interception, with its issuer and the host to exempt', async () => {
    const inspector = await createTestCa('Corp SSL Inspection CA');
    const port = await tlsServer(await issueTestServerCert(inspector));

    const err = await handshake(port).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsInterceptionError);
    expect((err as Error).message).toBe(
      `TLS interception on direct: the certificate for ${HOST} was issued by "Corp SSL Inspection CA"; exempt ${HOST} from SSL inspection`,
    );
  });

  it('names an expired certificate from another CA as interception, not as expiry', async () => {
    const inspector = await createTestCa('Expired Inspection CA');
    const port = await tlsServer(
      await issueTestServerCert(inspector, { notBefore: daysAgo(30), notAfter: daysAgo(1) }),
    );

    const err = await handshake(port).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsInterceptionError);
    expect((err as TlsInterceptionError).issuer).toBe('Expired Inspection CA');
  });

  it('names a forged certificate sent next to the genuine CA certificate as interception', async () => {
    // Same CA name, another key: only the signature tells them apart.
    const impostor = await createTestCa('fleetpulse test root');
    const forged = await issueTestServerCert(impostor);
    const port = await tlsServer({
      certPem: `${forged.certPem.trim()}\n${trusted.certPem}`,
      keyPem: forged.keyPem,
    });

    const err = await handshake(port).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsInterceptionError);
  });

  it('names ALPN refused when the server answers the offer with no_application_protocol', async () => {
    const port = await tlsServer(await issueTestServerCert(trusted), { ALPNProtocols: ['http/1.1'] });

    const err = await handshake(port, { alpn: ALPN }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err).toMatchObject({ code: 'ALPN_REFUSED' });
    expect((err as Error).message).toContain('does not take MQTT on this port');
  });

  it('names ALPN refused when the server selects no protocol', async () => {
    const port = await tlsServer(await issueTestServerCert(trusted));

    const err = await handshake(port, { alpn: ALPN }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'ALPN_REFUSED' });
    expect((err as Error).message).toBe(
      `${HOST}:${port} did not accept ALPN ${ALPN} (selected none): it does not take MQTT on this port`,
    );
  });

  it('gives up on a server that never answers the handshake, within the timeout', async () => {
    const port = await silentServer();

    const err = await handshake(port, { timeoutMs: 200 }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'TLS_TIMEOUT',
      message: `TLS handshake with ${HOST}:${port} on direct did not complete within 200 ms`,
    });
  });

  it('names a tunnel that relays nothing after CONNECT as hanging', async () => {
    const port = await silentServer();

    const err = await handshake(port, {
      socket: await tcpSocketTo(port),
      path: 'proxy http://127.0.0.1:3128',
      timeoutMs: 200,
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'TUNNEL_HANG',
      message: `proxy http://127.0.0.1:3128 answered CONNECT but relayed nothing from ${HOST}:${port} within 200 ms (the tunnel hangs after CONNECT)`,
    });
  });

  it('calls a tunnel that relayed bytes but no complete handshake a TLS timeout, not a hang', async () => {
    // The first byte of a TLS record, then silence.
    const port = await silentServer(Buffer.from([0x16]));

    const err = await handshake(port, {
      socket: await tcpSocketTo(port),
      path: 'proxy http://127.0.0.1:3128',
      timeoutMs: 300,
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'TLS_TIMEOUT' });
  });

  it('names an HTTPS answer to MQTT without ALPN: the port needs ALPN', async () => {
    const port = await tlsServer(await issueTestServerCert(trusted), {}, (socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
    });
    const { socket } = await handshake(port);

    // What mqtt.js does: read, then write CONNECT.
    const failed = once(socket, 'error');
    socket.on('data', () => undefined);
    socket.write(Buffer.from([0x10, 0x00]));
    const [err] = await failed;

    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err).toMatchObject({ code: 'ALPN_REQUIRED' });
    expect((err as Error).message).toBe(
      `${HOST}:${port} answered MQTT with HTTP ("HTTP/1.1 400 Bad Request"): this port does not take MQTT without ALPN ${ALPN}; set "alpn": true in agent.json, or use the MQTT port (8883)`,
    );
  });
});
