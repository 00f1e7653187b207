/**
 * What changed in a section, at the granularity an operator thinks in: a collection item (package,
 * service, user) or a small value. Large objects are descended into (the same rule that cuts
 * sections into entries), small ones are reported as a whole.
 */

import type { JsonObject } from '#protocol/inventory.ts';
import { jsonEqual } from '#protocol/merge-patch.ts';
import { isJsonObject, SPLIT_ABOVE_BYTES } from './shards.ts';

/** Each list keeps at most this many keys (the change item must stay small); `more` counts the rest. */
export const MAX_KEYS_PER_LIST = 25;
/** A longer key path is cut (ending in '…'): device keys may be long, the change item may not. */
export const MAX_PATH_CHARS = 256;

const shown = (path: string): string =>
  path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS - 1)}…` : path;

export interface SectionChange {
  added: string[];
  removed: string[];
  changed: string[];
  /** Keys left out of the lists above, per list; absent when nothing was left out. */
  more?: { added: number; removed: number; changed: number };
}

const isLarge = (v: unknown): boolean =>
  isJsonObject(v) && Buffer.byteLength(JSON.stringify(v), 'utf8') > SPLIT_ABOVE_BYTES;

/**
 * Key paths are joined with '/'. Undefined when the section did not change.
 *
 * `splitAt`, when given, says which objects to descend into instead of judging by size: a diff
 * applied to part of a section passes only that part (the split objects it goes through and the
 * entries it touches) and the split objects of the section's layout, which are the large ones.
 */
export function summarizeSectionChange(
  before: JsonObject | undefined,
  after: JsonObject | undefined,
  splitAt?: (path: readonly string[]) => boolean,
): SectionChange | undefined {
  const all = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  const walk = (b: JsonObject, a: JsonObject, prefix: readonly string[]): void => {
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const keys = [...prefix, key];
      const path = keys.join('/');
      if (!Object.hasOwn(a, key)) all.removed.push(path);
      else if (!Object.hasOwn(b, key)) all.added.push(path);
      else {
        const bv = b[key];
        const av = a[key];
        if (jsonEqual(bv, av)) continue;
        const descend = splitAt ? splitAt(keys) : isLarge(bv) || isLarge(av);
        if (isJsonObject(bv) && isJsonObject(av) && descend) walk(bv, av, keys);
        else all.changed.push(path);
      }
    }
  };
  walk(before ?? {}, after ?? {}, []);
  if (all.added.length + all.removed.length + all.changed.length === 0) {
    // A section appearing empty or disappearing while empty is still a change of the section set.
    if ((before === undefined) !== (after === undefined)) return { added: [], removed: [], changed: [] };
    return undefined;
  }
  const cut = (list: string[]): string[] => list.sort().slice(0, MAX_KEYS_PER_LIST).map(shown);
  const result: SectionChange = {
    added: cut(all.added),
    removed: cut(all.removed),
    changed: cut(all.changed),
  };
  const more = {
    added: all.added.length - result.added.length,
    removed: all.removed.length - result.removed.length,
    changed: all.changed.length - result.changed.length,
  };
  if (more.added + more.removed + more.changed > 0) result.more = more;
  return result;
}
