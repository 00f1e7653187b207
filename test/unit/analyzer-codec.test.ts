import { describe, expect, it } from 'vitest';
import { type AnalyzerBatch, AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { AnalyzerDecodeError, decodeAnalyzerBatch, encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { decodeFramed, encodeFramed } from '#protocol/encoding.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';

function simulatedBatch(seed: number, samples = 20): AnalyzerBatch {
  const session = new SimulatedSession({ seed, platform: 'windows' });
  const t0 = Date.UTC(2024, 5, 3, 8);
  return {
    sessionId: 's1',
    user: 'CORP\\ada',
    seq: 1,
    intervalSec: 15,
    final: false,
    samples: Array.from({ length: samples }, (_, i) => session.sample(t0 + (i + 1) * 15_000, 15)),
  };
}

describe('analyzer batch codec', () => {
  it('round-trips a simulated batch through the frame to within the quantisation', () => {
    const batch = simulatedBatch(42);
    const wire = AnalyzerWireBatchSchema.parse(decodeFramed(encodeFramed(encodeAnalyzerBatch(batch))));
    const decoded = decodeAnalyzerBatch(wire);
    expect(decoded.samples).toHaveLength(batch.samples.length);
    batch.samples.forEach((sample, i) => {
      const got = decoded.samples[i];
      expect(got?.t).toBe(Math.round(sample.t / 1000) * 1000);
      expect(got?.state).toBe(sample.state);
      expect(Math.abs((got?.cpuPct ?? -1) - sample.cpuPct)).toBeLessThanOrEqual(0.0501);
      expect(Math.abs((got?.memPct ?? -1) - sample.memPct)).toBeLessThanOrEqual(0.0501);
      expect(Math.abs((got?.netRxKBps ?? -1) - sample.netRxKBps)).toBeLessThanOrEqual(0.5);
      const apps = new Map(got?.apps.map((a) => [a.app, a]));
      expect(apps.size).toBe(sample.apps.length);
      for (const app of sample.apps) {
        const back = apps.get(app.app);
        expect(back?.procs).toBe(app.procs);
        expect(Math.abs((back?.cpuPct ?? -1) - app.cpuPct)).toBeLessThanOrEqual(0.0501);
        expect(Math.abs((back?.memMb ?? -1) - app.memMb)).toBeLessThanOrEqual(0.5);
        expect(back?.focusSec).toBe(app.focusSec);
      }
    });
  });

  it('names each app once per batch and leaves apps absent from a sample out of it', () => {
    const batch: AnalyzerBatch = {
      sessionId: 's1',
      user: 'u',
      seq: 3,
      intervalSec: 15,
      final: true,
      samples: [
        {
          t: 15_000,
          state: 'active',
          cpuPct: 5,
          memPct: 40,
          diskKBps: 0,
          netRxKBps: 1,
          netTxKBps: 1,
          apps: [{ app: 'a.exe', procs: 2, cpuPct: 1.5, memMb: 100, focusSec: 15 }],
        },
        {
          t: 30_000,
          state: 'locked',
          cpuPct: 2,
          memPct: 40,
          diskKBps: 0,
          netRxKBps: 0,
          netTxKBps: 0,
          apps: [{ app: 'b.exe', procs: 1, cpuPct: 0.1, memMb: 20, focusSec: 0 }],
        },
      ],
    };
    const wire = encodeAnalyzerBatch(batch);
    expect(wire.apps.map((a) => a.name)).toEqual(['a.exe', 'b.exe']);
    expect(wire.states).toBe('al');
    expect(wire.dt).toEqual([0, 15]);
    const decoded = decodeAnalyzerBatch(AnalyzerWireBatchSchema.parse(wire));
    expect(decoded.samples.map((s) => s.apps.map((a) => a.app))).toEqual([['a.exe'], ['b.exe']]);
    expect(decoded.final).toBe(true);
  });

  it('refuses columns whose lengths disagree with the samples, naming the column', () => {
    const wire = encodeAnalyzerBatch(simulatedBatch(1, 4));
    const broken = {
      ...wire,
      cpu: wire.cpu.slice(1),
      apps: [{ ...wire.apps[0], focus: [] }, ...wire.apps.slice(1)],
    };
    const parsed = AnalyzerWireBatchSchema.safeParse(broken);
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('cpu');
    expect(paths).toContain('apps.0.focus');
    expect(AnalyzerWireBatchSchema.safeParse({ ...wire, states: 'axxx' }).success).toBe(false);
    expect(AnalyzerWireBatchSchema.safeParse({ ...wire, apps: [wire.apps[0], wire.apps[0]] }).success).toBe(
      false,
    );
  });

  it('refuses decoded values outside their ranges and time that runs backwards', () => {
    const wire = AnalyzerWireBatchSchema.parse(encodeAnalyzerBatch(simulatedBatch(2, 4)));
    expect(() => decodeAnalyzerBatch({ ...wire, cpu: [500, 600, 0, 0] })).toThrow(
      /cpu\[1\]: 1100 is outside 0..1000/,
    );
    expect(() => decodeAnalyzerBatch({ ...wire, mem: [-1, 0, 0, 0] })).toThrow(AnalyzerDecodeError);
    expect(() => decodeAnalyzerBatch({ ...wire, dt: [0, 15, -15, 15] })).toThrow(/dt\[2\]/);
    const app = wire.apps[0];
    if (app === undefined) throw new Error('no app');
    expect(() => decodeAnalyzerBatch({ ...wire, apps: [{ ...app, focus: [0, 0, 999, 0] }] })).toThrow(
      /focus\[2\]/,
    );
  });
});
