/**
 * Two network namespaces joined by a veth pair, for tests that must put real packets on a real
 * (virtual) segment: Wake-on-LAN broadcasts. The test subnet exists only inside the namespaces;
 * nothing is added to, or sent on, the root namespace's interfaces.
 *
 *   const net = await createNetnsPair({ a: '10.213.0.1/24', b: '10.213.0.2/24' });
 *   const agent = net.a.spawn(['cli/fleetpulse-agent.ts', 'run', '-c', path]);
 *   ...
 *   await net.cleanup();   // kills what it spawned, deletes both namespaces (and so the veth pair)
 *
 * Names carry the creating process's pid, so parallel test files never collide and a later run
 * removes what a killed one left behind. Root is required (CI runs as root): without it the
 * harness throws, so the test fails with the reason instead of passing unexercised.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { promisify } from 'node:util';
import { REPO_ROOT } from '#local/cloud.ts';
import { type GroupProcess, spawnGroup } from './process-group.ts';

const run = promisify(execFile);

const NAME_PREFIX = 'fpw-';
const OWNED = /^fpw-([0-9a-z]+)-[0-9a-f]{4}-[ab]$/;

export class NetnsUnavailableError extends Error {
  override readonly name = 'NetnsUnavailableError';
}

export interface Namespace {
  readonly name: string;
  /** The veth end inside this namespace. */
  readonly device: string;
  /** Its address, as given (`10.213.0.1/24`). */
  readonly cidr: string;
  readonly address: string;
  /** Runs `ip <args>` inside the namespace. */
  ip(...args: string[]): Promise<void>;
  /** Runs `node --import tsx <args>` inside the namespace, from the repository root; killed by cleanup(). */
  spawnNode(args: readonly string[], env?: NodeJS.ProcessEnv): GroupProcess;
}

export interface NetnsPair {
  readonly a: Namespace;
  readonly b: Namespace;
  /** Kills the processes spawned in the namespaces and deletes them. Safe to call twice. */
  cleanup(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (err as Error).message}`);
  }
}

/** Throws, with what to do, when this process cannot create namespaces. */
export async function requireNetns(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new NetnsUnavailableError(
      'this test creates network namespaces and must run as root (CI does: `sudo npx vitest run <file>` locally)',
    );
  }
  try {
    await run('ip', ['-V']);
  } catch {
    throw new NetnsUnavailableError(
      'the `ip` command is missing: install iproute2 (apt-get install iproute2; .ci/run does it)',
    );
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Deletes namespaces this harness made in processes that are gone (killed before their cleanup). */
async function removeAbandoned(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = OWNED.exec(name)?.[1];
    if (owner !== undefined && !alive(Number.parseInt(owner, 36))) await ip('netns', 'del', name);
  }
}

const live = new Set<string>();
let exitHookInstalled = false;

/** Last resort when the test process exits without cleanup (a crash, a killed worker's exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of live) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5_000 });
      } catch {}
    }
  });
}

const addressOf = (cidr: string): string => cidr.split('/')[0] ?? cidr;

export async function createNetnsPair(addresses: { a: string; b: string }): Promise<NetnsPair> {
  await requireNetns();
  await removeAbandoned();
  installExitHook();
  const id = `${process.pid.toString(36)}-${randomBytes(2).toString('hex')}`;
  const names = { a: `${NAME_PREFIX}${id}-a`, b: `${NAME_PREFIX}${id}-b` };
  // Interface names are at most 15 bytes; created inside namespace a, so no root-namespace name is ever taken.
  const devices = { a: `veth-${id.slice(-4)}a`, b: `veth-${id.slice(-4)}b` };
  const children = new Set<GroupProcess>();

  const cleanup = async (): Promise<void> => {
    for (const child of children) child.signal('SIGKILL');
    await Promise.all([...children].map((c) => c.exited));
    children.clear();
    for (const name of [names.a, names.b]) {
      if (!live.has(name)) continue;
      await ip('netns', 'del', name).catch(() => undefined);
      live.delete(name);
    }
  };

  const namespace = (side: 'a' | 'b'): Namespace => ({
    name: names[side],
    device: devices[side],
    cidr: addresses[side],
    address: addressOf(addresses[side]),
    ip: (...args) => ip('-n', names[side], ...args),
    spawnNode(args, env) {
      const child = spawnGroup(
        'ip',
        ['netns', 'exec', names[side], process.execPath, '--import', 'tsx', ...args],
        { cwd: REPO_ROOT, ...(env === undefined ? {} : { env }) },
      );
      children.add(child);
      return child;
    },
  });
  const pair = { a: namespace('a'), b: namespace('b'), cleanup };

  try {
    for (const name of [names.a, names.b]) {
      await ip('netns', 'add', name);
      live.add(name);
    }
    await ip(
      '-n',
      names.a,
      'link',
      'add',
      devices.a,
      'type',
      'veth',
      'peer',
      'name',
      devices.b,
      'netns',
      names.b,
    );
    for (const side of ['a', 'b'] as const) {
      await pair[side].ip('link', 'set', 'lo', 'up');
      await pair[side].ip('addr', 'add', addresses[side], 'dev', devices[side]);
      await pair[side].ip('link', 'set', devices[side], 'up');
    }
    return pair;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface UnixToTcpBridge {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * Serves a unix-domain socket in the root namespace that pipes each connection to a TCP port on
 * 127.0.0.1. Unix sockets live in the file system, which namespaces share: with the forwarder
 * (netns-forwarder.ts) inside a namespace, a process there reaches the root namespace's loopback
 * servers (the local cloud's broker) with nothing listening beyond 127.0.0.1.
 */
export async function serveUnixToTcp(socketPath: string, port: number): Promise<UnixToTcpBridge> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    pipeline(inbound, outbound, inbound, () => {
      inbound.destroy();
      outbound.destroy();
    });
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}
