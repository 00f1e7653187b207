/**
 * kill -9 in the middle of publishing, several times, at random moments, online and offline: the
 * agent runs as a child process on the same dataDir each time. The promise checked: every message
 * whose Agent.publish resolved (it was acknowledged, or durably queued while offline) reaches the
 * broker, first arrivals in order per class; and no outbox file is ever corrupt (a temp file a kill
 * left mid-write is allowed: the next start deletes it, its publish never resolved).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOutboxFile } from '#agent/outbox.ts';
import { REPO_ROOT } from '#local/cloud.ts';
import { startAgentFixture } from '../agent/tls-broker.ts';
import { expectWholeInOrder, recordStream } from '../support/broker-stream.ts';
import { type GroupProcess, spawnGroup } from '../support/process-group.ts';
import { waitFor } from '../support/wait.ts';

const CLASSES = ['command-result', 'analyzer'] as const;
const tuning = {
  connection: { backoff: { baseMs: 20, maxMs: 200, jitter: 0.5 }, connectTimeoutMs: 2_000 },
  outbox: { replay: { messagesPerSec: 500, bytesPerSec: 64 * 1024 * 1024, jitterMaxMs: 50 } },
};

/** Every queued message file decodes whole; returns how many temp files a kill left. */
async function expectNoCorruptFile(outboxDir: string): Promise<{ messages: number; temps: number }> {
  const names = await readdir(outboxDir).catch(() => [] as string[]);
  let messages = 0;
  let temps = 0;
  for (const name of names) {
    if (name.endsWith('.tmp')) temps++;
    else if (name.endsWith('.msg')) {
      // While the agent drains, a file listed a moment ago may be delivered and removed: gone is not corrupt.
      const bytes = await readFile(join(outboxDir, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (bytes === undefined) continue;
      decodeOutboxFile(0, bytes);
      messages++;
    } else if (name !== 'counters.json') throw new Error(`unexpected file in the outbox: ${name}`);
  }
  return { messages, temps };
}

describe('agent kill -9 while publishing', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('delivers every message whose publish resolved, across five kills, and leaves no corrupt file', async () => {
    const deviceId = 'fault-kill-1';
    const { dir, broker, config } = await startAgentFixture(deviceId, 'fleetpulse-fault-kill-');
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => broker.close(),
    );
    const counted = recordStream(broker.aedes);
    const outboxDir = join(config.dataDir, 'outbox');
    const resolved = { 'command-result': 0, analyzer: 0 };
    let child: GroupProcess | undefined;
    cleanups.push(async () => {
      child?.signal('SIGKILL');
      await child?.exited;
    });
    const launch = (drain: boolean): GroupProcess => {
      const from = { 'command-result': resolved['command-result'] + 1, analyzer: resolved.analyzer + 1 };
      const proc = spawnGroup(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/support/outbox-stream-agent.ts',
          JSON.stringify({ config, from, drain, tuning }),
        ],
        { cwd: REPO_ROOT },
      );
      proc.child.stdout?.on('data', () => {
        for (const match of proc.output().matchAll(/^resolved (command-result|analyzer) (\d+)$/gm)) {
          const [, dataClass, n] = match;
          const key = dataClass as (typeof CLASSES)[number];
          resolved[key] = Math.max(resolved[key], Number(n));
        }
      });
      return proc;
    };

    const log: string[] = [];
    for (let round = 1; round <= 5; round++) {
      // Rounds 2 and 4 run offline: the kill lands while messages pile up on disk.
      const offline = round % 2 === 0;
      if (offline) await broker.down();
      const before = { ...resolved };
      child = launch(false);
      await child.line(/^started$/, 30_000);
      await waitFor(() => resolved['command-result'] > before['command-result'] + 5, {
        timeoutMs: 20_000,
        what: 'the stream to run',
      });
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 700)));
      child.signal('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      const files = await expectNoCorruptFile(outboxDir);
      log.push(
        `round ${round} (${offline ? 'offline' : 'online'}): resolved ${JSON.stringify(resolved)}, ${files.messages} queued, ${files.temps} temp`,
      );
      if (offline) await broker.up();
    }
    child = launch(true);
    await child.line(/^started$/, 30_000);
    await waitFor(
      () =>
        CLASSES.every((c) => [...Array(resolved[c]).keys()].every((i) => counted.of(c).distinct.has(i + 1))),
      { timeoutMs: 30_000, what: `every resolved message at the broker (${log.join('; ')})` },
    );

    for (const c of CLASSES) {
      expect(resolved[c]).toBeGreaterThan(25);
      const { duplicates } = expectWholeInOrder(counted.of(c), resolved[c]);
      log.push(`${c}: ${resolved[c]} resolved, ${duplicates} duplicates`);
    }
    await waitFor(async () => (await expectNoCorruptFile(outboxDir)).messages === 0, {
      timeoutMs: 10_000,
      what: 'the outbox to drain',
    });
    expect(await expectNoCorruptFile(outboxDir)).toEqual({ messages: 0, temps: 0 });
    console.info(log.join('\n'));
  }, 120_000);
});
