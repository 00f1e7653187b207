/**
 * Ctrl-C on `npm start` as a terminal delivers it: SIGINT to the whole process group (npm, the
 * shell, node), which npm relays once more, twice in quick succession. The stop must still run to
 * its end: exit 0, the stop message, no forced exit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { type GroupProcess, spawnGroup } from '../support/process-group.ts';

describe('npm start and Ctrl-C', () => {
  let dataDir: string;
  let started: GroupProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-ctrl-c-'));
  });
  afterAll(async () => {
    started?.signal('SIGKILL');
    await started?.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stops cleanly on a double SIGINT to the process group', { timeout: 180_000 }, async () => {
    const ephemeral = Object.fromEntries(
      ['MQTT', 'API', 'DYNAMODB', 'SQS_S3', 'IOT_DATA'].map((name) => [`FLEETPULSE_${name}_PORT`, '0']),
    );
    started = spawnGroup('npm', ['start', '--', '--devices', '2'], {
      cwd: REPO_ROOT,
      env: { ...ephemeral, FLEETPULSE_DATA_DIR: dataDir, FLEETPULSE_LOG: 'warn' },
    });
    await started.line(/local cloud is running/, 150_000);

    started.signal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    started.signal('SIGINT');
    const exit = await started.exited;

    expect(started.output(), JSON.stringify(exit)).toMatch(/^Stopped\. Data kept in/m);
    expect(started.output()).not.toMatch(/Forced exit/);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
