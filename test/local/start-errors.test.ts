/**
 * `npm start` tells a person what to do when it cannot start: a taken port names the environment
 * variable that moves it, a data folder held by another local cloud says so, both without a stack
 * trace and with a non-zero exit. `--help` lists the options and the environment variables.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { type ChildCloud, startChildCloud } from '../support/child-cloud.ts';

const EPHEMERAL_PORTS = Object.fromEntries(
  ['MQTT', 'MQTT_ALPN', 'API', 'DYNAMODB', 'SQS_S3', 'IOT_DATA'].map((name) => [
    `FLEETPULSE_${name}_PORT`,
    '0',
  ]),
);

/** Runs local/main.ts (what `npm start` runs) to its exit. */
function runStart(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'local/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...EPHEMERAL_PORTS, FLEETPULSE_LOG: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const STACK_FRAME = /^\s+at .+:\d+/m;

describe('npm start when it cannot start', () => {
  let dataDir: string;
  let holder: Server | undefined;
  let other: ChildCloud | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-start-errors-'));
  });
  afterAll(async () => {
    await other?.stop();
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('--help prints the options and the port variables, then exits 0', { timeout: 60_000 }, async () => {
    const run = await runStart(['--help'], { FLEETPULSE_DATA_DIR: join(dataDir, 'help') });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm start -- \[options\]/);
    expect(run.stdout).toMatch(/--no-fleet/);
    for (const variable of ['FLEETPULSE_MQTT_PORT', 'FLEETPULSE_API_PORT', 'FLEETPULSE_DATA_DIR']) {
      expect(run.stdout).toContain(variable);
    }
  });

  it('names the port variable when a port is taken', { timeout: 120_000 }, async () => {
    const server = createServer();
    holder = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };

    const run = await runStart(['--no-fleet'], {
      FLEETPULSE_DATA_DIR: join(dataDir, 'port'),
      FLEETPULSE_API_PORT: String(port),
    });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `port ${port} is in use (FLEETPULSE_API_PORT) — another local cloud running? stop it, or set FLEETPULSE_API_PORT to another port`,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('says another local cloud holds the data folder', { timeout: 180_000 }, async () => {
    const shared = join(dataDir, 'shared');
    other = await startChildCloud({ dataDir: shared });

    const run = await runStart(['--no-fleet'], { FLEETPULSE_DATA_DIR: shared });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${shared} is in use by another local cloud — stop it first, or set FLEETPULSE_DATA_DIR to another folder`,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});
