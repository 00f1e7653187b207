/**
 * The operator CLI as a person runs it (`npx fleetpulse ...`, through bin/fleetpulse.js) against
 * the real local cloud: its help, what it says when the API is not there, readable times, the
 * inventory commands, and a reader that closes the pipe early (`| head -1`) without a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { collectRun, fleetpulse, STACK_FRAME, spawnFleetpulse } from '../support/fleetpulse-cli.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { unusedPort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const EPOCH_MS = /\b1\d{12}\b/;

let t: TestCloud;
let api: string[];
let scratch: string;

beforeAll(async () => {
  t = await startTestCloud();
  api = ['--api-url', t.endpoints.apiUrl, '--token', t.endpoints.apiToken];
  scratch = await mkdtemp(join(tmpdir(), 'fleetpulse-cli-'));
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('fleetpulse --help', () => {
  it('runs through npx from the repository and lists the commands', { timeout: 60_000 }, async () => {
    // npm_config_yes=false: were the bin not resolved locally, npx must fail rather than fetch a package.
    const npx = spawn('npx', ['fleetpulse', '--help'], {
      cwd: REPO_ROOT,
      env: { ...process.env, npm_config_yes: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = await collectRun(npx);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Usage: fleetpulse /);
    expect(run.stdout).toMatch(/devices/);
    expect(run.stdout).toMatch(/dlq/);
  });

  it('lists the inventory commands under devices', { timeout: 30_000 }, async () => {
    const run = await fleetpulse(['devices', '--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/inventory \[options\] <id>/);
    expect(run.stdout).toMatch(/changes \[options\] <id>/);
  });
});

describe('when the operator API cannot be reached', () => {
  it('asks whether npm start is running for the local cloud', { timeout: 30_000 }, async () => {
    const port = await unusedPort();
    const dir = join(scratch, 'stale-cloud');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(
      join(dir, 'endpoints.json'),
      JSON.stringify({ mqttUrl: 'mqtts://127.0.0.1:1', apiUrl: `http://127.0.0.1:${port}`, apiToken: 't' }),
    );

    const run = await fleetpulse(['devices', 'list', '--local-cloud', dir]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `cannot reach the operator API at http://127.0.0.1:${port} (ECONNREFUSED) — is \`npm start\` running?`,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('points at --api-url when the URL was given', { timeout: 30_000 }, async () => {
    const port = await unusedPort();

    const run = await fleetpulse([
      'devices',
      'list',
      '--api-url',
      `http://127.0.0.1:${port}`,
      '--token',
      't',
    ]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach the operator API at http://127.0.0.1:${port}`);
    expect(run.stderr).toContain('check --api-url');
  });
});

describe('devices', () => {
  const deviceId = 'cli-times-1';

  beforeAll(async () => {
    const device = await t.deviceClient(deviceId);
    const heartbeat = validHeartbeat();
    await device.publishAsync(`dt/fleet/${deviceId}/heartbeat`, JSON.stringify(heartbeat), { qos: 1 });
    await t.cloud.idle();
    await waitFor(
      async () => {
        const res = await fetch(`${t.endpoints.apiUrl}/devices/${deviceId}`, {
          headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
        });
        return res.ok;
      },
      { timeoutMs: 20_000, what: `${deviceId} in the API` },
    );
  }, 60_000);

  it('shows times as ISO-8601 and how long ago, never epoch milliseconds', { timeout: 30_000 }, async () => {
    const list = await fleetpulse(['devices', 'list', ...api]);
    const get = await fleetpulse(['devices', 'get', deviceId, ...api]);

    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${deviceId}.*\\d+s ago`));
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toMatch(/^lastSeenAt: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+s ago\)$/m);
    expect(get.stdout).not.toMatch(EPOCH_MS);
    expect(get.stdout).toMatch(/^path: direct, mqtts on port 8883, RTT 12ms$/m);
  });

  it('says when a device has no inventory yet', { timeout: 30_000 }, async () => {
    const inventory = await fleetpulse([
      'devices',
      'inventory',
      deviceId,
      '--sections',
      'os,network',
      ...api,
    ]);
    const changes = await fleetpulse(['devices', 'changes', deviceId, ...api]);

    expect(inventory.code).toBe(1);
    expect(inventory.stderr).toMatch(/404 no inventory for device cli-times-1/);
    expect(changes.code).toBe(1);
    expect(changes.stderr).toMatch(/404 no inventory for device cli-times-1/);
  });

  it('refuses an unknown section before calling the API', { timeout: 30_000 }, async () => {
    const run = await fleetpulse(['devices', 'inventory', deviceId, '--sections', 'os,bogus', ...api]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/sections are a comma-separated list of hardware, os/);
  });

  it('stops quietly when the reader closes the pipe early', { timeout: 30_000 }, async () => {
    const child = spawnFleetpulse(['devices', 'list', ...api]);
    // The reader is gone before the CLI writes anything: every write fails with EPIPE.
    child.stdout?.destroy();
    const run = await collectRun(child);

    expect(run.stderr).not.toMatch(/EPIPE/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(0);
  });
});
