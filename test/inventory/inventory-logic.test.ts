import { describe, expect, it } from 'vitest';
import { decideReport, type StoredPosition } from '#lambdas/inventory/decide.ts';
import {
  assembleEntries,
  buildShards,
  chooseShardCount,
  decodeManifest,
  encodeManifest,
  parseShard,
  sectionDigest,
  sectionEntries,
  updateDigest,
} from '#lambdas/inventory/shards.ts';
import { MAX_KEYS_PER_LIST, summarizeSectionChange } from '#lambdas/inventory/summary.ts';
import { initialState } from './fixtures.ts';

const stored: StoredPosition = { epoch: 'e1', seq: 5, epochStartedAt: 1000 };
const diff = (seq: number, baseSeq: number, epoch = 'e1', receivedAt = 2000) =>
  ({ kind: 'diff', epoch, seq, baseSeq, receivedAt }) as const;
const full = (seq: number, epoch = 'e1', receivedAt = 2000) =>
  ({ kind: 'full', epoch, seq, receivedAt }) as const;

describe('decideReport', () => {
  it('applies the first full report and a diff on the stored sequence', () => {
    expect(decideReport(undefined, full(1))).toEqual({ action: 'apply', newEpoch: true });
    expect(decideReport(stored, diff(6, 5))).toEqual({ action: 'apply', newEpoch: false });
  });

  it('drops duplicates, telling whether it is the latest version', () => {
    expect(decideReport(stored, diff(5, 4))).toEqual({ action: 'duplicate', latest: true });
    expect(decideReport(stored, diff(3, 2))).toEqual({ action: 'duplicate', latest: false });
    expect(decideReport(stored, full(5))).toEqual({ action: 'duplicate', latest: true });
  });

  it('holds a diff whose base has not arrived, including diffs of an epoch not seen yet', () => {
    expect(decideReport(stored, diff(8, 7))).toEqual({ action: 'hold' });
    expect(decideReport(undefined, diff(2, 1))).toEqual({ action: 'hold' });
    expect(decideReport(stored, diff(2, 1, 'e2', 3000))).toEqual({ action: 'hold' });
  });

  it('never applies a diff over a base the stored history does not contain', () => {
    expect(decideReport(stored, diff(7, 4))).toEqual({ action: 'wrong-base' });
  });

  it('orders epochs by broker arrival: a newer epoch replaces, an older one is stale', () => {
    expect(decideReport(stored, full(1, 'e2', 3000))).toEqual({ action: 'apply', newEpoch: true });
    expect(decideReport(stored, full(9, 'e0', 500))).toEqual({ action: 'stale' });
    expect(decideReport(stored, diff(9, 8, 'e0', 500))).toEqual({ action: 'stale' });
  });
});

describe('sharding', () => {
  const software = initialState().software ?? {};

  it('round-trips a section through entries and shards', () => {
    const shards = buildShards(software, chooseShardCount(JSON.stringify(software).length));
    const back = assembleEntries(shards.flatMap((s) => (s ? parseShard(s) : [])));
    expect(back).toEqual(software);
    expect(assembleEntries(sectionEntries({ a: {}, b: { c: 1 } }))).toEqual({ a: {}, b: { c: 1 } });
  });

  it('splits large collections into one entry per item and keeps shards under one write unit', () => {
    const entries = sectionEntries(software);
    expect(entries.every(([path]) => path[0] === 'packages' && path.length === 2)).toBe(true);
    const shards = buildShards(software, chooseShardCount(JSON.stringify(software).length));
    const sizes = shards.map((s) => s.length).sort((a, b) => a - b);
    expect(sizes[Math.floor(sizes.length / 2)]).toBeLessThan(1000);
  });

  it('is deterministic and changes only the shard of the touched item', () => {
    const n = chooseShardCount(JSON.stringify(software).length);
    const before = buildShards(software, n);
    const packages = structuredClone(software.packages) as Record<string, Record<string, unknown>>;
    const key = Object.keys(packages)[3] as string;
    (packages[key] as Record<string, unknown>).version = '99.0.0';
    const after = buildShards({ packages }, n);
    expect(buildShards(software, n)).toEqual(before);
    expect(after.filter((s, i) => s !== before[i])).toHaveLength(1);
  });

  it('keeps the shard count while the section size stays in range', () => {
    const n = chooseShardCount(48_000);
    expect(chooseShardCount(50_000, n)).toBe(n);
    expect(chooseShardCount(400_000, n)).toBeGreaterThan(n);
  });

  it('encodes manifests compactly and losslessly', () => {
    const m = { n: 4, versions: [1, undefined, 36, 1_000_000] };
    expect(encodeManifest(m)).toBe('4|1,,10,lfls');
    expect(decodeManifest(encodeManifest(m))).toEqual(m);
    expect(decodeManifest('1|')).toEqual({ n: 1, versions: [undefined] });
    const withDigest = { ...m, layout: { bytes: 100, split: [] }, digest: 2 ** 48 - 1 };
    expect(decodeManifest(encodeManifest(withDigest))).toEqual(withDigest);
  });

  it('keeps a section digest exact when only some shards are replaced', () => {
    const software = initialState(2).software ?? {};
    const n = chooseShardCount(JSON.stringify(software).length);
    const before = buildShards(software, n);
    const after = [...before];
    after[1] = '[[["x"],1]]';
    after[2] = '';
    const changed = [1, 2].map((i) => [i, before[i] ?? '', after[i] ?? ''] as const);
    expect(updateDigest(sectionDigest(before), changed)).toBe(sectionDigest(after));
    expect(sectionDigest(after)).not.toBe(sectionDigest(before));
    // Position matters: the same data in another shard is another cut.
    expect(sectionDigest(['a', 'b'])).not.toBe(sectionDigest(['b', 'a']));
  });
});

describe('summarizeSectionChange', () => {
  it('reports added, removed and changed collection items by key path', () => {
    const before = initialState().software ?? {};
    const after = structuredClone(before) as { packages: Record<string, Record<string, unknown>> };
    const [first, second] = Object.keys(after.packages) as [string, string];
    delete after.packages[first];
    (after.packages[second] as Record<string, unknown>).version = '2.0';
    after.packages['pkg-new'] = { name: 'new' };
    expect(summarizeSectionChange(before, after)).toEqual({
      added: ['packages/pkg-new'],
      removed: [`packages/${first}`],
      changed: [`packages/${second}`],
    });
  });

  it('reports small values whole and nothing for an unchanged section', () => {
    expect(summarizeSectionChange({ uptime: 1, name: 'x' }, { uptime: 2, name: 'x' })).toEqual({
      added: [],
      removed: [],
      changed: ['uptime'],
    });
    expect(summarizeSectionChange({ a: 1 }, { a: 1 })).toBeUndefined();
  });

  it('caps the lists and counts what it left out', () => {
    const after = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    const summary = summarizeSectionChange(undefined, after);
    expect(summary?.added).toHaveLength(MAX_KEYS_PER_LIST);
    expect(summary?.more).toEqual({ added: 40 - MAX_KEYS_PER_LIST, removed: 0, changed: 0 });
  });
});
