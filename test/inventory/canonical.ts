/**
 * The stored cut of every section is exactly what cutting its content afresh gives (same shard
 * bytes, same recorded layout and digest, a shard count the cutter would keep) — whichever path
 * wrote it.
 */
import { expect } from 'vitest';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import { shardSk } from '#lambdas/inventory/keys.ts';
import { getItem, getMeta, type ShardItem } from '#lambdas/inventory/persistence.ts';
import { readState } from '#lambdas/inventory/read.ts';
import {
  buildShards,
  chooseShardCount,
  decodeManifest,
  sectionDigest,
  sectionLayout,
  slotOf,
} from '#lambdas/inventory/shards.ts';

export async function expectCanonicalCut(deps: InventoryDeps, deviceId: string): Promise<void> {
  const meta = await getMeta(deps, deviceId);
  if (!meta) throw new Error(`no inventory for ${deviceId}`);
  const state = await readState(deps, meta);
  for (const [name, encoded] of Object.entries(meta.manifest)) {
    const manifest = decodeManifest(encoded);
    const content = state[name] ?? {};
    const layout = sectionLayout(content);
    if (manifest.layout) expect(manifest.layout, name).toEqual(layout);
    expect(chooseShardCount(layout.bytes, manifest.n), name).toBe(manifest.n);
    const stored = await Promise.all(
      manifest.versions.map(async (v, idx) =>
        v === undefined
          ? ''
          : ((await getItem<ShardItem>(deps, deviceId, shardSk(name, idx, slotOf(v))))?.data ?? 'missing'),
      ),
    );
    expect(stored, name).toEqual(buildShards(content, manifest.n));
    // The digest a full report relies on to skip reading the section is exactly the shards'.
    if (manifest.digest !== undefined) expect(manifest.digest, name).toBe(sectionDigest(stored));
  }
}
