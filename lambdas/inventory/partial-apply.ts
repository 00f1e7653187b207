/**
 * Applying a diff to only the shards its merge patch can reach.
 *
 * The cut of a section (shards.ts) depends on three things: the entries, which objects are split
 * into their children (by their size), and the shard count `n` (by the section's size). The
 * manifest keeps the last two (the layout). When a patch provably leaves them as they are, the new
 * cut is the old one with the touched entries replaced — byte for byte what re-cutting the whole
 * merged section would give — so only the shards those entries hash to need to be read and
 * rewritten. Proof obligations, checked here; anything else goes back to the full read and re-cut:
 *   - the patch replaces or deletes no split object (its children are spread over other shards);
 *   - every split object the patch goes into stays split (larger than SPLIT_ABOVE_BYTES);
 *   - no touched entry becomes an object the cutter would split;
 *   - the section's new size keeps `n` (and stays within the section limit).
 * Sizes are tracked exactly: an object serializes to `{` + each `"key":value` followed by `,` or
 * `}`, so its size moves by the size change of the members that changed.
 */
import type { JsonObject } from '#protocol/inventory.ts';
import { applyMergePatch } from '#protocol/merge-patch.ts';
import {
  assembleEntries,
  chooseShardCount,
  type Entry,
  encodeShard,
  isJsonObject,
  jsonBytes,
  parseShard,
  pathId,
  type SectionLayout,
  type SectionManifest,
  SPLIT_ABOVE_BYTES,
  type SplitObject,
  shardIndexOf,
  splitBytes,
} from './shards.ts';

/** A key the patch sets or deletes outside any split object it goes into: one entry of the cut. */
export interface LocalTouch {
  readonly path: readonly string[];
  /** The patch value at that path (null deletes). */
  readonly patch: unknown;
}

export interface LocalTargets {
  readonly n: number;
  readonly layout: SectionLayout;
  readonly touches: readonly LocalTouch[];
  /** Split objects the patch goes into (the section itself aside). */
  readonly visited: readonly (readonly string[])[];
  /** Indices of the shards holding the touched entries, ascending. */
  readonly shards: readonly number[];
}

export interface LocalResult {
  readonly layout: SectionLayout;
  /** New data of each shard in `LocalTargets.shards` ('' = now empty). */
  readonly shards: ReadonlyMap<number, string>;
  /** The touched part of the section before and after (split objects gone through, touched entries). */
  readonly before: JsonObject;
  readonly after: JsonObject;
  /** Whether the object at a path is split (what the change summary descends into). */
  readonly splitAt: (path: readonly string[]) => boolean;
}

/**
 * From the manifest alone: which entries and shards a patch reaches, or undefined when the patch
 * cannot be applied locally (no layout recorded, or it replaces or deletes a split object).
 */
export function localTargets(patch: JsonObject, manifest: SectionManifest): LocalTargets | undefined {
  const { layout, n } = manifest;
  if (!layout) return undefined;
  const split = new Set(layout.split.map(([path]) => pathId(path)));
  const touches: LocalTouch[] = [];
  const visited: (readonly string[])[] = [];
  const walk = (node: JsonObject, path: readonly string[]): boolean => {
    for (const [key, value] of Object.entries(node)) {
      const child = [...path, key];
      if (!split.has(pathId(child))) touches.push({ path: child, patch: value });
      else if (!isJsonObject(value)) return false;
      else {
        visited.push(child);
        if (!walk(value, child)) return false;
      }
    }
    return true;
  };
  if (!walk(patch, [])) return undefined;
  const shards = [...new Set(touches.map((t) => shardIndexOf(t.path, n)))].sort((a, b) => a - b);
  return { n, layout, touches, visited, shards };
}

/** Sum over an object's members of (`"key":value` size + 1), from the object's size. */
const memberBytes = (objectBytes: number): number => (objectBytes <= 2 ? 0 : objectBytes - 1);
const objectBytes = (members: number): number => (members === 0 ? 2 : members + 1);

/**
 * The patch applied to the touched entries, given the current data of the shards in
 * `targets.shards` ('' or absent = empty). Undefined when the layout would change: the caller then
 * reads and re-cuts the whole section.
 */
export function applyLocal(
  targets: LocalTargets,
  current: ReadonlyMap<number, string>,
  maxSectionBytes: number,
): LocalResult | undefined {
  const { n, layout } = targets;
  const buckets = new Map<number, Map<string, Entry>>();
  for (const idx of targets.shards) {
    const data = current.get(idx) ?? '';
    buckets.set(idx, new Map((data ? parseShard(data) : []).map((e) => [pathId(e[0]), e])));
  }
  const oldSizes = new Map<string, number>(layout.split.map(([path, bytes]) => [pathId(path), bytes]));
  oldSizes.set(pathId([]), layout.bytes);
  /** Per object (by path id): change of its member bytes. */
  const delta = new Map<string, number>();
  const addDelta = (path: readonly string[], d: number) => {
    const id = pathId(path);
    delta.set(id, (delta.get(id) ?? 0) + d);
  };
  const member = (key: string, value: unknown): number =>
    value === undefined ? 0 : jsonBytes(key) + 1 + jsonBytes(value) + 1;

  const before: Entry[] = [];
  const after: Entry[] = [];
  for (const { path, patch } of targets.touches) {
    const bucket = buckets.get(shardIndexOf(path, n));
    if (!bucket) return undefined;
    const id = pathId(path);
    const old = bucket.get(id)?.[1];
    let next: unknown;
    if (patch === null) next = undefined;
    else if (isJsonObject(patch)) next = applyMergePatch(isJsonObject(old) ? old : {}, patch);
    else next = patch;
    // An entry growing into an object the cutter splits changes the layout.
    if (splitBytes(next) !== undefined) return undefined;
    const key = path[path.length - 1] as string;
    addDelta(path.slice(0, -1), member(key, next) - member(key, old));
    if (old !== undefined) before.push([path, old]);
    if (next === undefined) {
      bucket.delete(id);
    } else {
      bucket.set(id, [path, next]);
      after.push([path, next]);
    }
  }

  // Innermost first, so each split object's size is final before its parent's is computed.
  const newSizes = new Map<string, number>();
  for (const path of [...targets.visited].sort((a, b) => b.length - a.length)) {
    const id = pathId(path);
    const old = oldSizes.get(id);
    if (old === undefined) return undefined;
    const members = memberBytes(old) + (delta.get(id) ?? 0);
    if (members < 0) return undefined;
    const size = objectBytes(members);
    // It would no longer be split: its children would become one entry.
    if (size <= SPLIT_ABOVE_BYTES) return undefined;
    newSizes.set(id, size);
    addDelta(path.slice(0, -1), size - old);
  }
  const rootMembers = memberBytes(layout.bytes) + (delta.get(pathId([])) ?? 0);
  if (rootMembers < 0) return undefined;
  const bytes = objectBytes(rootMembers);
  if (bytes > maxSectionBytes || chooseShardCount(bytes, n) !== n) return undefined;

  const shards = new Map<number, string>();
  for (const [idx, bucket] of buckets) shards.set(idx, encodeShard([...bucket.values()]));
  const split: SplitObject[] = layout.split.map(([path, size]) => [path, newSizes.get(pathId(path)) ?? size]);
  const splitIds = new Set(layout.split.map(([path]) => pathId(path)));
  // The split objects gone through exist on both sides (possibly with no touched member).
  const skeleton = (): Entry[] =>
    [...targets.visited].sort((a, b) => a.length - b.length).map((path) => [path, {}] as Entry);
  return {
    layout: { bytes, split },
    shards,
    before: assembleEntries([...skeleton(), ...before]),
    after: assembleEntries([...skeleton(), ...after]),
    splitAt: (path) => splitIds.has(pathId(path)),
  };
}
