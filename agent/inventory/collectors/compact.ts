import type { JsonObject } from '#protocol/inventory.ts';

/**
 * Drops what systeminformation uses for "not known" (null, undefined, '', NaN) so absent facts
 * cost no bytes and never need a null in the state.
 */
export function compact(value: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out[key] = v;
  }
  return out;
}

/** Builds a map keyed by a stable id; a later duplicate gets a numeric suffix instead of clobbering. */
export function keyedBy<T>(
  items: readonly T[],
  keyOf: (item: T, index: number) => string,
  entryOf: (item: T) => JsonObject,
): JsonObject {
  const out: JsonObject = {};
  items.forEach((item, index) => {
    const base = keyOf(item, index);
    let key = base;
    for (let n = 2; key in out; n++) key = `${base}#${n}`;
    out[key] = entryOf(item);
  });
  return out;
}
