/**
 * Reading the stored state: meta names, per shard, the slot and generation of the current version;
 * readers fetch exactly those slots (checking the generation, see store.ts readShards), so they
 * always see one consistent version. Used by the apply pipeline and the API alike.
 */
import type { JsonObject } from '#protocol/inventory.ts';
import type { CapacityMeter, InventoryDeps } from './deps.ts';
import { shardSk } from './keys.ts';
import { type MetaItem, readShards } from './persistence.ts';
import { assembleEntries, decodeManifest, genOf, parseShard, slotOf } from './shards.ts';

export interface OldSection {
  readonly content: JsonObject;
  /** Shard data by index ('' = empty shard). */
  readonly shards: readonly string[];
}

/** Shard data by section and index, for the given shards (every shard of a section when `undefined`). */
export async function readSectionShards(
  deps: InventoryDeps,
  meta: MetaItem,
  sections: ReadonlyMap<string, readonly number[] | undefined>,
  meter?: CapacityMeter,
): Promise<Map<string, Map<number, string>>> {
  const wanted: { section: string; idx: number; sk: string; gen: number }[] = [];
  const result = new Map<string, Map<number, string>>();
  for (const [section, indices] of sections) {
    const encoded = meta.manifest[section];
    if (encoded === undefined) continue;
    const m = decodeManifest(encoded);
    const shards = new Map<number, string>();
    result.set(section, shards);
    for (const idx of indices ?? m.versions.keys()) {
      const v = m.versions[idx];
      // An empty shard has no item: nothing to read.
      if (v === undefined) shards.set(idx, '');
      else wanted.push({ section, idx, sk: shardSk(section, idx, slotOf(v)), gen: genOf(v) });
    }
  }
  const data = await readShards(deps, meta.deviceId, wanted, meter);
  for (const w of wanted) result.get(w.section)?.set(w.idx, data.get(w.sk) ?? '');
  return result;
}

export function oldSection(meta: MetaItem, section: string, shards: ReadonlyMap<number, string>): OldSection {
  const { n } = decodeManifest(meta.manifest[section] as string);
  const list = Array.from({ length: n }, (_, idx) => shards.get(idx) ?? '');
  return { content: assembleEntries(list.flatMap((s) => (s ? parseShard(s) : []))), shards: list };
}

export async function readSections(
  deps: InventoryDeps,
  meta: MetaItem,
  sections: readonly string[],
  meter?: CapacityMeter,
): Promise<Map<string, OldSection>> {
  const read = await readSectionShards(deps, meta, new Map(sections.map((s) => [s, undefined])), meter);
  return new Map([...read].map(([section, shards]) => [section, oldSection(meta, section, shards)]));
}

/** The current content of the given sections (all when omitted), as one consistent snapshot. */
export async function readState(
  deps: InventoryDeps,
  meta: MetaItem,
  sections?: readonly string[],
  meter?: CapacityMeter,
): Promise<Record<string, JsonObject>> {
  const names = sections ?? Object.keys(meta.manifest);
  const old = await readSections(deps, meta, names, meter);
  return Object.fromEntries([...old].map(([name, s]) => [name, s.content]));
}
