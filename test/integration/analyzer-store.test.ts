/** The analyzer's batch index and session summaries against the DynamoDB emulator (dynalite). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnalyzerDeps,
  batchLocation,
  foldIntoSummary,
  indexBatch,
  readSummary,
} from '#lambdas/analyzer/session-store.ts';
import { batchCounts } from '#lambdas/analyzer/summary.ts';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { oneSampleBatch } from '../support/analyzer-fixtures.ts';
import { type AnalyzerStoreFixture, startAnalyzerStore } from '../support/analyzer-store.ts';

let store: AnalyzerStoreFixture;
let deps: AnalyzerDeps;

beforeAll(async () => {
  store = await startAnalyzerStore();
  ({ deps } = store);
});

afterAll(async () => {
  await store?.stop();
});

const batch = (
  seq: number,
  apps = [{ app: 'chrome.exe', procs: 9, cpuPct: 4, memMb: 900, focusSec: 15 }],
): AnalyzerBatch => oneSampleBatch('s1', seq, apps);

describe('analyzer session store', () => {
  it('indexes a batch once: the first location wins and a redelivery is a duplicate', async () => {
    const key = { deviceId: 'd1', sessionId: 's1', seq: 1 };
    const first = {
      objectKey: 'analyzer/raw/dt=2024-06-03/a.fpb',
      offset: 0,
      length: 900,
      firstT: 1,
      lastT: 2,
      samples: 20,
    };
    expect(await indexBatch(deps, key, first)).toBe('indexed');
    expect(await indexBatch(deps, key, { ...first, objectKey: 'analyzer/raw/dt=2024-06-03/b.fpb' })).toBe(
      'duplicate',
    );
    expect(await batchLocation(deps, key)).toMatchObject(first);
    expect(await batchLocation(deps, { ...key, seq: 2 })).toBeUndefined();
  });

  it('counts every batch of a session exactly once when invocations fold them at the same time', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => foldIntoSummary(deps, 'd2', batch(i + 1), 0)),
    );
    expect(outcomes).toEqual(Array(10).fill('counted'));
    const stored = await readSummary(deps, 'd2', 's1');
    expect(stored?.summary.samples).toBe(10);
    expect(stored?.summary.received).toEqual([[1, 10]]);
    expect(batchCounts(stored?.summary.received ?? [])).toEqual({ received: 10, missing: 0 });
    expect(stored?.summary.apps['chrome.exe']).toEqual({ focusSec: 150, cpuPctSec: 600 });

    expect(await foldIntoSummary(deps, 'd2', batch(4), 0)).toBe('duplicate');
    expect((await readSummary(deps, 'd2', 's1'))?.version).toBe(stored?.version);
  });

  it('stores app names as data, __proto__ included', async () => {
    await foldIntoSummary(
      deps,
      'd3',
      batch(1, [{ app: '__proto__', procs: 1, cpuPct: 2, memMb: 1, focusSec: 3 }]),
      0,
    );
    const stored = await readSummary(deps, 'd3', 's1');
    expect(Object.keys(stored?.summary.apps ?? {})).toEqual(['__proto__']);
    expect(stored?.summary.apps.__proto__).toEqual({ focusSec: 3, cpuPctSec: 30 });
  });
});
