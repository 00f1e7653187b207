import { emptyJsonObject, type JsonObject, setKey } from '#protocol/json-object.ts';

/**
 * Drops what systeminformation uses for "not known" (null, undefined, '', NaN) so absent facts
 * cost no bytes and never need a null in the state.
 */
export function compact(value: Record<string, unknown>): JsonObject {
  const out = emptyJsonObject();
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    setKey(out, key, v);
  }
  return out;
}

/** Builds a map keyed by a stable id (host data: any key, `__proto__` included, is a plain member); a later duplicate gets a numeric suffix instead of clobbering. */
export function keyedBy<T>(
  items: readonly T[],
  keyOf: (item: T, index: number) => string,
  entryOf: (item: T) => JsonObject,
): JsonObject {
  const out = emptyJsonObject();
  items.forEach((item, index) => {
    const base = keyOf(item, index);
    let key = base;
    for (let n = 2; Object.hasOwn(out, key); n++) key = `${base}#${n}`;
    setKey(out, key, entryOf(item));
  });
  return out;
}
