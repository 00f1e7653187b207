/**
 * Real proxy servers for connectivity tests, all on 127.0.0.1: TooTallNate's `proxy` (npm) in
 * process, Debian's tinyproxy as a child process with a generated config, and the broken ones a
 * network really has (nothing listening, a proxy that hangs after CONNECT, one that answers 200 and
 * relays nothing, an HTTP server that is no proxy).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { unusedPort } from './ports.ts';
import { waitFor } from './wait.ts';

export interface TestProxy {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  /** CONNECT targets received, in order. */
  readonly connects: readonly string[];
  /** Stops listening and drops every connection (tunnels included); the port stays reserved for up(). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Tracks sockets so down() cuts live tunnels, like a proxy that dies. */
function listenable(server: Server | ReturnType<typeof createNetServer>, port: number) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let listening = false;
  return {
    up: async () => {
      if (listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      listening = true;
    },
    down: async () => {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function basicAuthOk(req: IncomingMessage, credentials: Credentials): boolean {
  const header = req.headers['proxy-authorization'] ?? '';
  const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  return header === expected;
}

/** The npm `proxy` package: a real HTTP CONNECT proxy; with `auth`, wrong credentials get 407. */
export async function startNpmProxy(options: { auth?: Credentials; port?: number } = {}): Promise<TestProxy> {
  const port = options.port ?? (await unusedPort());
  const server = createProxy(createHttpServer());
  const connects: string[] = [];
  server.prependListener('connect', (req: IncomingMessage) => connects.push(req.url ?? ''));
  const { auth } = options;
  if (auth !== undefined) server.authenticate = (req) => basicAuthOk(req, auth);
  const life = listenable(server, port);
  await life.up();
  return { url: `http://127.0.0.1:${port}`, port, connects, ...life, close: life.down };
}

export interface TinyproxyOptions {
  /** Host patterns (tinyproxy Filter lines) allowed; everything else gets 403. @default allow all */
  readonly allow?: readonly string[];
  readonly auth?: Credentials;
}

/** Debian's tinyproxy, spawned in the foreground with a generated config. */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<TestProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-tinyproxy-'));
  const port = await unusedPort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'MaxClients 20',
    'LogLevel Connect',
    // Root may run tinyproxy only as another user; an unprivileged test run keeps its own.
    ...(process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : []),
    // No ConnectPort line: CONNECT to any port (the default config limits it to 443 and 563).
  ];
  if (options.allow !== undefined) {
    const filter = join(dir, 'filter');
    await writeFile(filter, `${options.allow.join('\n')}\n`);
    lines.push(`Filter "${filter}"`, 'FilterDefaultDeny Yes');
  }
  if (options.auth !== undefined) lines.push(`BasicAuth ${options.auth.user} ${options.auth.password}`);
  const config = join(dir, 'tinyproxy.conf');
  await writeFile(config, `${lines.join('\n')}\n`, { mode: 0o644 });
  let child: ChildProcess | undefined;
  let output = '';
  const connects: string[] = [];
  const up = async () => {
    if (child !== undefined) return;
    const started = spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of chunk.toString().matchAll(/CONNECT (\S+:\d+)/g)) if (m[1]) connects.push(m[1]);
    };
    started.stdout?.on('data', collect);
    started.stderr?.on('data', collect);
    const exited = once(started, 'exit').then(([code]) => {
      throw new Error(`tinyproxy exited with ${code}: ${output.slice(-500)}`);
    });
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(() => accepts(port), { timeoutMs: 10_000, what: `tinyproxy on ${port}` }),
      exited,
    ]);
  };
  const down = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    up,
    down,
    close: async () => {
      await down();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port where nothing listens: a proxy that is down (connection refused). */
export async function deadProxyUrl(): Promise<string> {
  return `http://127.0.0.1:${await unusedPort()}`;
}

/**
 * A TCP server that misbehaves after reading the CONNECT request: `silent` never answers it,
 * `relays-nothing` answers 200 and then forwards nothing either way.
 */
export async function startBrokenProxy(behaviour: 'silent' | 'relays-nothing'): Promise<TestProxy> {
  const port = await unusedPort();
  const connects: string[] = [];
  const server = createNetServer((socket) => {
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      connects.push(head.split(' ')[1] ?? '');
      if (behaviour === 'relays-nothing') socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    });
    socket.on('error', () => undefined);
  });
  const life = listenable(server, port);
  await life.up();
  return { url: `http://127.0.0.1:${port}`, port, connects, ...life, close: life.down };
}

/** A plain web server: it answers CONNECT like nginx answers an unknown method, with `status`. */
export async function startWebServer(status: 405 | 400): Promise<TestProxy> {
  const port = await unusedPort();
  const connects: string[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(status).end();
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    connects.push(req.url ?? '');
    socket.end(
      `HTTP/1.1 ${status} ${status === 405 ? 'Method Not Allowed' : 'Bad Request'}\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  const life = listenable(server, port);
  await life.up();
  return { url: `http://127.0.0.1:${port}`, port, connects, ...life, close: life.down };
}
