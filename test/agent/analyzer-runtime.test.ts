import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnalyzedSession, AnalyzerRuntime, type AnalyzerSource } from '#agent/analyzer/runtime.ts';
import { FileSessionSequences } from '#agent/analyzer/session-sequences.ts';
import type { AgentLogger } from '#agent/module.ts';
import { type AnalyzerBatch, type AnalyzerSample, AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { decodeFramed } from '#protocol/encoding.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A scripted machine: the test sets which sessions exist; each gets a trivial sample. */
class ScriptedSource implements AnalyzerSource {
  current: AnalyzedSession[] | undefined = [];
  async sessions() {
    return this.current;
  }
  async sample(sessions: readonly AnalyzedSession[], at: number) {
    const sample = (s: AnalyzedSession): AnalyzerSample => ({
      t: at,
      state: s.state,
      cpuPct: 5,
      memPct: 30,
      diskKBps: 0,
      netRxKBps: 1,
      netTxKBps: 1,
      apps: [{ app: `${s.user}.exe`, procs: 1, cpuPct: 1, memMb: 10, focusSec: 0 }],
    });
    return new Map(sessions.map((s) => [s.id, sample(s)]));
  }
}

const session = (id: string): AnalyzedSession => ({ id, user: `user-${id}`, state: 'active' });

function harness(options: { failFor?: Set<string> } = {}) {
  const source = new ScriptedSource();
  const published: AnalyzerBatch[] = [];
  const logs: string[] = [];
  const logger: AgentLogger = {
    debug: () => {},
    info: (m) => logs.push(m),
    warn: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
    error: (m) => logs.push(m),
  };
  let clock = Date.UTC(2024, 5, 3, 8);
  const runtime = new AnalyzerRuntime({
    source,
    sequences: FileSessionSequences.inMemory(),
    logger,
    intervals: () => ({ sampleIntervalSec: 15, uploadIntervalSec: 60 }),
    restartBackoff: { baseMs: 30_000, maxMs: 30_000, jitter: 0 },
    now: () => clock,
    publish: async (sessionId, frame) => {
      if (options.failFor?.has(sessionId)) throw new Error(`outbox refused ${sessionId}`);
      published.push(decodeAnalyzerBatch(AnalyzerWireBatchSchema.parse(decodeFramed(frame))));
    },
  });
  const tick = async (n = 1) => {
    for (let i = 0; i < n; i++) {
      clock += 15_000;
      await runtime.tick();
    }
  };
  return { source, published, logs, runtime, tick };
}

describe('analyzer runtime', () => {
  it('runs one analyzer per session as sessions come and go; an ended session sends its last batch as final', async () => {
    const h = harness();
    h.source.current = [session('a')];
    await h.tick(4); // a: one full batch of 4 samples (60 s / 15 s)
    h.source.current = [session('a'), session('b')];
    await h.tick(2);
    expect(h.runtime.status().sessions).toBe(2);
    h.source.current = [session('b')]; // a logs off with 2 samples held
    await h.tick(1);
    const a = h.published.filter((b) => b.sessionId === 'a');
    expect(a.map((b) => [b.seq, b.samples.length, b.final])).toEqual([
      [1, 4, false],
      [2, 2, true],
    ]);
    expect(h.published.filter((b) => b.sessionId === 'b')).toEqual([]);
    await h.tick(1);
    expect(h.published.filter((b) => b.sessionId === 'b').map((b) => [b.seq, b.samples.length])).toEqual([
      [1, 4],
    ]);
    expect(h.runtime.status().sessions).toBe(1);
  });

  it('contains a failing analyzer: the others go on, it restarts after the backoff, the heartbeat counts it', async () => {
    const failFor = new Set(['bad']);
    const h = harness({ failFor });
    h.source.current = [session('good'), session('bad')];
    await h.tick(4);
    expect(h.runtime.status()).toMatchObject({
      sessions: 1,
      restarts: 1,
      lastError: 'session bad: outbox refused bad',
    });
    expect(h.published.map((b) => b.sessionId)).toEqual(['good']);
    failFor.clear();
    await h.tick(1); // 15 s later: still backing off (30 s)
    expect(h.runtime.status().sessions).toBe(1);
    await h.tick(5);
    expect(h.runtime.status().sessions).toBe(2);
    expect(h.published.some((b) => b.sessionId === 'bad')).toBe(true);
    expect(h.logs.some((l) => l.includes('analyzer failed') && l.includes('restartInMs'))).toBe(true);
  });

  it('says once that the machine has no session source, and does not fail', async () => {
    const h = harness();
    h.source.current = undefined;
    await h.tick(3);
    expect(h.logs.filter((l) => l.includes('no session source'))).toHaveLength(1);
    expect(h.runtime.status()).toMatchObject({ sessions: 0, restarts: 0, noSessionSource: true });
  });

  it('flushes held samples when the agent stops, not marked final', async () => {
    const h = harness();
    h.source.current = [session('a')];
    await h.tick(2);
    await h.runtime.flushAll();
    expect(h.published.map((b) => [b.samples.length, b.final])).toEqual([[2, false]]);
  });
});

describe('session sequences', () => {
  it('continue after a restart and never hand out a number twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-seq-'));
    dirs.push(dir);
    const first = FileSessionSequences.open(dir);
    expect([first.next('s1', 1), first.next('s1', 2), first.next('s2', 3)]).toEqual([1, 2, 1]);
    const reopened = FileSessionSequences.open(dir);
    expect(reopened.next('s1', 4)).toBe(3);
    expect(reopened.next('s2', 5)).toBe(2);
    // A week later an old session is forgotten; a new session id starts at 1 anyway.
    const later = 5 + 8 * 24 * 3600_000;
    expect(reopened.next('s3', later)).toBe(1);
    expect(FileSessionSequences.open(dir).next('s1', later + 1)).toBe(1);
  });
});
