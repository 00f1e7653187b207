/**
 * The analyzer module as the agent runs it: rounds on the policy's intervals (re-read every round),
 * on and off by policy, failures contained and reported in the heartbeat. A scripted session source
 * and a fake agent context; fake timers drive the rounds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnalyzerModule } from '#agent/analyzer/module.ts';
import type { AnalyzedSession, AnalyzerSource } from '#agent/analyzer/runtime.ts';
import { FileSessionSequences } from '#agent/analyzer/session-sequences.ts';
import type { AgentContext } from '#agent/module.ts';
import { type AnalyzerBatch, type AnalyzerSample, AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { decodeFramed } from '#protocol/encoding.ts';
import { type PolicyDocument, PolicyDocumentSchema } from '#protocol/policy.ts';
import { topics } from '#protocol/topics.ts';

const DEVICE = 'mod-dev-1';

class ScriptedSource implements AnalyzerSource {
  current: AnalyzedSession[] = [];
  sampled = 0;
  failNextSample = false;
  async sessions() {
    return this.current;
  }
  async sample(sessions: readonly AnalyzedSession[], at: number) {
    if (this.failNextSample) {
      this.failNextSample = false;
      throw new Error('procfs went away');
    }
    this.sampled++;
    const sample = (s: AnalyzedSession): AnalyzerSample => ({
      t: at,
      state: s.state,
      cpuPct: 5,
      memPct: 30,
      diskKBps: 0,
      netRxKBps: 1,
      netTxKBps: 1,
      apps: [{ app: 'editor', procs: 1, cpuPct: 1, memMb: 10, focusSec: 0 }],
    });
    return new Map(sessions.map((s) => [s.id, sample(s)]));
  }
}

const session = (id: string): AnalyzedSession => ({ id, user: `CORP\\${id}`, state: 'active' });

function harness(options: { refuse?: Set<string>; platform?: NodeJS.Platform; noSource?: boolean } = {}) {
  const source = new ScriptedSource();
  let policy: PolicyDocument = PolicyDocumentSchema.parse({
    version: 1,
    analyzer: { sampleIntervalSec: 15, uploadIntervalSec: 60 },
  });
  const published: Array<{ topic: string; qos: number | undefined; batch: AnalyzerBatch }> = [];
  const logs: string[] = [];
  const log = (msg: string, fields?: Record<string, unknown>) =>
    logs.push(`${msg} ${JSON.stringify(fields ?? {})}`);
  const context: AgentContext = {
    deviceId: DEVICE,
    agentVersion: 'test',
    dataDir: '/nonexistent',
    logger: { debug: log, info: log, warn: log, error: log },
    policy: () => policy,
    publish: async (topic, payload, publishOptions) => {
      const sessionId = topic.split('/').at(-1) ?? '';
      if (options.refuse?.has(sessionId)) throw new Error(`outbox refused ${sessionId}`);
      const batch = decodeAnalyzerBatch(AnalyzerWireBatchSchema.parse(decodeFramed(payload)));
      published.push({ topic, qos: publishOptions?.qos, batch });
    },
    onCommand: () => undefined,
    onConnected: () => undefined,
  };
  const module = new AnalyzerModule({
    ...(options.noSource ? {} : { source }),
    ...(options.platform ? { platform: options.platform } : {}),
    openSequences: () => FileSessionSequences.inMemory(),
  });
  const setAnalyzer = (analyzer: Partial<PolicyDocument['analyzer']>) => {
    policy = { ...policy, version: policy.version + 1, analyzer: { ...policy.analyzer, ...analyzer } };
  };
  const seconds = (s: number) => vi.advanceTimersByTimeAsync(s * 1000);
  return { source, module, context, published, logs, setAnalyzer, seconds };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('analyzer module', () => {
  it('samples on the policy interval and publishes one batch per session per upload interval, QoS 1 on the session topic', async () => {
    const h = harness();
    h.source.current = [session('s1'), session('s2')];
    await h.module.start(h.context);

    await h.seconds(60);

    expect(h.source.sampled).toBe(4);
    expect(h.published.map((p) => [p.topic, p.qos, p.batch.seq, p.batch.samples.length])).toEqual([
      [topics.analyzer(DEVICE, 's1'), 1, 1, 4],
      [topics.analyzer(DEVICE, 's2'), 1, 1, 4],
    ]);
    await h.module.stop();
  });

  it('takes a new sample interval from the policy at the next round', async () => {
    const h = harness();
    h.source.current = [session('s1')];
    await h.module.start(h.context);
    await h.seconds(30);
    expect(h.source.sampled).toBe(2);

    h.setAnalyzer({ sampleIntervalSec: 60 });
    await h.seconds(15); // the round already scheduled runs on the old interval
    await h.seconds(120);

    expect(h.source.sampled).toBe(5);
    await h.module.stop();
  });

  it('stops sampling when the policy turns it off, publishing what it held; on again, each session continues its sequence', async () => {
    const h = harness();
    h.source.current = [session('s1'), session('s2')];
    await h.module.start(h.context);
    await h.seconds(30); // two samples held per session, nothing due yet
    expect(h.published).toEqual([]);

    h.setAnalyzer({ enabled: false });
    await h.seconds(15);
    const sampledWhenOff = h.source.sampled;
    await h.seconds(300);

    expect(h.source.sampled).toBe(sampledWhenOff);
    expect(
      h.published.map((p) => [p.batch.sessionId, p.batch.seq, p.batch.samples.length, p.batch.final]),
    ).toEqual([
      ['s1', 1, 2, false],
      ['s2', 1, 2, false],
    ]);
    expect(h.module.heartbeatFields().analyzer).toMatchObject({ sessions: 0 });
    expect(h.logs.filter((l) => l.startsWith('analyzer turned off by policy'))).toHaveLength(1);

    h.setAnalyzer({ enabled: true });
    await h.seconds(75);
    expect(h.published.slice(2).map((p) => [p.batch.sessionId, p.batch.seq])).toEqual([
      ['s1', 2],
      ['s2', 2],
    ]);
    await h.module.stop();
  });

  it('contains a failing analyzer: the other session goes on, it restarts after a backoff, the heartbeat reports it', async () => {
    const refuse = new Set(['bad']);
    const h = harness({ refuse });
    h.source.current = [session('good'), session('bad')];
    await h.module.start(h.context);

    await h.seconds(60);
    expect(h.module.heartbeatFields().analyzer).toMatchObject({
      sessions: 1,
      restarts: 1,
      lastError: 'session bad: outbox refused bad',
    });
    expect(h.published.map((p) => p.batch.sessionId)).toEqual(['good']);

    refuse.clear();
    h.source.failNextSample = true; // a whole round fails too: counted, and the next round runs
    await h.seconds(15 + 120);

    expect(h.module.heartbeatFields().analyzer).toMatchObject({ sessions: 2, restarts: 2 });
    expect(h.published.some((p) => p.batch.sessionId === 'bad')).toBe(true);
    expect(h.logs.some((l) => l.startsWith('analyzer failed') && l.includes('restartInMs'))).toBe(true);
    await h.module.stop();
  });

  it('on a platform without a session source says so once and reports it in the heartbeat, without failing', async () => {
    const h = harness({ platform: 'win32', noSource: true });

    await h.module.start(h.context);
    await h.seconds(120);
    await h.module.stop();

    expect(h.logs.filter((l) => l.includes('no session source'))).toHaveLength(1);
    expect(h.module.heartbeatFields()).toEqual({
      analyzer: { sessions: 0, restarts: 0, noSessionSource: true },
    });
    expect(h.published).toEqual([]);
  });

  it('publishes the held samples when the agent stops', async () => {
    const h = harness();
    h.source.current = [session('s1')];
    await h.module.start(h.context);
    await h.seconds(45);

    await h.module.stop();

    expect(h.published.map((p) => [p.batch.samples.length, p.batch.final])).toEqual([[3, false]]);
  });
});
