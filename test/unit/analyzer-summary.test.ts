import { describe, expect, it } from 'vitest';
import {
  addSeq,
  batchCounts,
  foldBatch,
  MAX_SUMMARY_APPS,
  OTHER_APPS,
  presentSummary,
  type SessionSummary,
} from '#lambdas/analyzer/summary.ts';
import type { AnalyzerBatch, AnalyzerSample } from '#protocol/analyzer.ts';
import { analyzerBatch, analyzerSample } from '../support/analyzer-fixtures.ts';

const sample = analyzerSample;
const batch = (seq: number, samples: AnalyzerSample[], final = false): AnalyzerBatch =>
  analyzerBatch('s1', seq, samples, final);

function fold(summary: SessionSummary | undefined, b: AnalyzerBatch): SessionSummary {
  const result = foldBatch(summary, b);
  if (result.outcome !== 'counted') throw new Error(`batch ${b.seq} not counted`);
  return result.summary;
}

describe('session summary', () => {
  it('counts a batch once: a redelivery is a duplicate and changes nothing', () => {
    const first = fold(undefined, batch(1, [sample(15_000), sample(30_000)]));
    const before = structuredClone(first);
    expect(foldBatch(first, batch(1, [sample(15_000), sample(30_000)])).outcome).toBe('duplicate');
    expect(first).toEqual(before);
    expect(first.samples).toBe(2);
    expect(first.apps['chrome.exe']).toEqual({ focusSec: 30, cpuPctSec: 180 });
  });

  it('shows a batch that never came as missing, and fills the gap when it arrives late', () => {
    let s = fold(undefined, batch(1, [sample(15_000)]));
    s = fold(s, batch(3, [sample(45_000)]));
    expect(batchCounts(s.received)).toEqual({ received: 2, missing: 1 });
    s = fold(s, batch(2, [sample(30_000)]));
    expect(s.received).toEqual([[1, 3]]);
    expect(batchCounts(s.received)).toEqual({ received: 3, missing: 0 });
    expect(s.firstSeen).toBe(15_000);
    expect(s.lastSeen).toBe(45_000);
  });

  it('adds up time per state, peaks and averages, and the final batch ends the session', () => {
    let s = fold(
      undefined,
      batch(1, [sample(15_000, { cpuPct: 95 }), sample(30_000, { state: 'locked', cpuPct: 5, apps: [] })]),
    );
    s = fold(s, batch(2, [sample(45_000, { state: 'idle', memPct: 70 })], true));
    const view = presentSummary(s);
    expect(view.stateSec).toEqual({ active: 15, idle: 15, locked: 15, disconnected: 0 });
    expect(view.cpu).toEqual({ peakPct: 95, avgPct: 36.7 });
    expect(view.memory.peakPct).toBe(70);
    expect(view.ended).toBe(true);
    expect(view.topAppsByFocus).toEqual([{ app: 'chrome.exe', focusSec: 30 }]);
    expect(view.batches).toEqual({ received: 2, missing: 0 });
  });

  it('keeps the apps that matter and folds the long tail into one entry, totals preserved', () => {
    const apps = Array.from({ length: MAX_SUMMARY_APPS + 10 }, (_, i) => ({
      app: `app${i}.exe`,
      procs: 1,
      cpuPct: 1,
      memMb: 10,
      focusSec: i === 0 ? 15 : 0,
    }));
    const s = fold(undefined, batch(1, [sample(15_000, { apps })]));
    expect(Object.keys(s.apps)).toHaveLength(MAX_SUMMARY_APPS);
    expect(s.apps['app0.exe']?.focusSec).toBe(15);
    const total = Object.values(s.apps).reduce((n, t) => n + t.cpuPctSec, 0);
    expect(total).toBe((MAX_SUMMARY_APPS + 10) * 15);
    expect(s.apps[OTHER_APPS]?.cpuPctSec).toBe(11 * 15);
  });

  it('treats app names as data, __proto__ included', () => {
    const s = fold(
      undefined,
      batch(1, [
        sample(15_000, { apps: [{ app: '__proto__', procs: 1, cpuPct: 2, memMb: 1, focusSec: 3 }] }),
      ]),
    );
    expect(Object.keys(s.apps)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).focusSec).toBeUndefined();
  });

  it('merges sequence ranges', () => {
    expect(
      addSeq(
        [
          [1, 2],
          [4, 5],
        ],
        3,
      ),
    ).toEqual([[1, 5]]);
    expect(addSeq([[2, 2]], 7)).toEqual([
      [2, 2],
      [7, 7],
    ]);
  });
});
