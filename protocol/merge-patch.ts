/**
 * JSON Merge Patch (RFC 7396) over plain JSON objects: the diff format of inventory sections.
 * `null` in a patch deletes a key; objects merge recursively; anything else replaces.
 * Applying the same patch twice gives the same result (idempotent), which retries rely on.
 */
import { emptyJsonObject, getKey, isJsonObject as isObject, type JsonObject, setKey } from './json-object.ts';

// Keys come from devices: results are null-prototype objects written with setKey and read with
// own-property checks only (`'constructor' in {}` is true), so `__proto__` is stored as data.
const has = (o: JsonObject, key: string): boolean => Object.hasOwn(o, key);

export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result = emptyJsonObject();
  for (const [key, value] of Object.entries(target)) setKey(result, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const current = getKey(result, key);
      setKey(result, key, applyMergePatch(isObject(current) ? current : emptyJsonObject(), value));
    } else {
      setKey(result, key, value);
    }
  }
  return result;
}

/**
 * The smallest merge patch that turns `before` into `after`, or undefined when they are equal.
 * Source values must not contain null (a merge patch cannot express "set to null"); collectors
 * omit absent values instead.
 */
export function createMergePatch(before: JsonObject, after: JsonObject): JsonObject | undefined {
  const patch = emptyJsonObject();
  for (const key of Object.keys(before)) {
    if (!has(after, key)) setKey(patch, key, null);
  }
  for (const [key, value] of Object.entries(after)) {
    const old = getKey(before, key);
    if (isObject(value) && isObject(old)) {
      const nested = createMergePatch(old, value);
      if (nested !== undefined) setKey(patch, key, nested);
    } else if (!jsonEqual(old, value)) {
      setKey(patch, key, value);
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => has(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Removes nulls recursively, so a state is always expressible by merge patches. */
export function withoutNulls(value: JsonObject): JsonObject {
  const out = emptyJsonObject();
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    setKey(out, k, isObject(v) ? withoutNulls(v) : v);
  }
  return out;
}
