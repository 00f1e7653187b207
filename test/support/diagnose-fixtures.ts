/**
 * Real servers for diagnose tests and its demo, all on 127.0.0.1: HTTP CONNECT proxies (the npm
 * `proxy` package, with and without Basic auth), a server that takes TCP and never answers, an
 * HTTPS server that tells the time, and a foreign CA standing in for a TLS-inspecting middlebox
 * (a CONNECT proxy that terminates TLS itself with a certificate that CA issued).
 */
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createProxy } from 'proxy';
import type { AgentConfigInput } from '#agent/config.ts';
import { type DevCa, issueServerCert } from '#local/dev-ca.ts';

export interface RunningServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Closes the server and every connection it holds. */
async function listen(server: Server, sockets: Set<Socket>): Promise<RunningServer> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The npm `proxy` package; with `credentials`, anything else gets a 407. */
export function startHttpProxy(credentials?: { user: string; password: string }): Promise<RunningServer> {
  const server = createProxy(createHttpServer());
  if (credentials !== undefined) {
    const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    server.authenticate = (req) => req.headers['proxy-authorization'] === expected;
  }
  return listen(server, new Set());
}

/** A proxy whose rules block every destination: 403 to each CONNECT. */
export function startBlockingProxy(): Promise<RunningServer> {
  const server = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (_req, socket: Socket) => socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
  return listen(server, new Set());
}

/** A proxy that answers CONNECT with 200 and then relays nothing, either way. */
export function startBlackHoleProxy(): Promise<RunningServer> {
  const server = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (_req, socket: Socket) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.resume();
  });
  return listen(server, new Set());
}

/** An ordinary web server, no proxy: a CONNECT gets 405. */
export function startWebServer(): Promise<RunningServer> {
  const server = createHttpServer((_req, res) => res.writeHead(200).end('hello'));
  server.on('connect', (_req, socket: Socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  return listen(server, new Set());
}

/** Accepts TCP and never says a word: a TLS handshake, or a CONNECT, sent to it hangs. */
export function startSilentServer(): Promise<RunningServer> {
  return listen(createTcpServer(), new Set());
}

/** HTTPS with the dev CA's server certificate: 403 to everything, with a Date `offsetMs` from now. */
export async function startHttpsDateServer(ca: DevCa, offsetMs = 0, withDate = true): Promise<RunningServer> {
  const cert = await issueServerCert(ca);
  const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
    res.sendDate = false;
    if (withDate) res.setHeader('Date', new Date(Date.now() + offsetMs).toUTCString());
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end('{"message":"Forbidden"}');
  });
  return listen(server, new Set());
}

export const FOREIGN_CA_NAME = 'Corp SSL Inspection CA';

export interface ForeignCa {
  /** A certificate for 127.0.0.1 and localhost, issued by FOREIGN_CA_NAME. */
  readonly certPem: string;
  readonly keyPem: string;
}

const crypto = webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0];
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** What a TLS-inspecting proxy presents: a leaf re-signed by the corporation's own CA (sent along). */
export async function foreignCa(): Promise<ForeignCa> {
  x509.cryptoProvider.set(crypto);
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) };
  const caKeys = (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${FOREIGN_CA_NAME}`,
    ...validity,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=localhost',
    issuer: ca.subject,
    ...validity,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: `${leaf.toString('pem')}\n${ca.toString('pem')}\n`, keyPem };
}

/**
 * A CONNECT proxy that answers 200 and then terminates TLS itself with `ca`'s certificate, as a
 * TLS-inspecting proxy does (it never reaches the endpoint: the client must stop at the chain).
 */
export function startInterceptingProxy(ca: ForeignCa): Promise<RunningServer> {
  const server: HttpServer = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (_req, socket: Socket) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const tls = new TLSSocket(socket, { isServer: true, cert: ca.certPem, key: ca.keyPem });
    tls.on('error', () => socket.destroy());
  });
  return listen(server, new Set());
}

/** Writes agent.json into `dir` and returns its path. */
export async function writeAgentJson(
  dir: string,
  config: AgentConfigInput,
  name = 'agent.json',
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** agent.json for the device of a startAgentFixture broker, its clock read from `httpsPort`. */
export function diagnoseConfigInput(
  deviceId: string,
  brokerPort: number,
  httpsPort: number,
  overrides: Partial<AgentConfigInput>,
): AgentConfigInput {
  return {
    deviceId,
    region: 'local',
    endpoint: '127.0.0.1',
    port: brokerPort,
    httpsPort,
    certPath: 'cert.pem',
    keyPath: 'key.pem',
    caPath: 'ca/ca.pem',
    dataDir: 'data',
    ...overrides,
  };
}
