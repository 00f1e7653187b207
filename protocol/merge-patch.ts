/**
 * JSON Merge Patch (RFC 7396) over plain JSON objects: the diff format of inventory sections.
 * `null` in a patch deletes a key; objects merge recursively; anything else replaces.
 * Applying the same patch twice gives the same result (idempotent), which retries rely on.
 */
import type { JsonObject } from './inventory.ts';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Keys come from devices: own-property checks only (`'constructor' in {}` is true), and assignment
 * by definition, so a key such as `__proto__` is stored as data instead of changing a prototype.
 */
const has = (o: JsonObject, key: string): boolean => Object.hasOwn(o, key);
function setOwn(o: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(target)) setOwn(result, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const current = has(result, key) ? result[key] : undefined;
      setOwn(result, key, applyMergePatch(isObject(current) ? current : {}, value));
    } else {
      setOwn(result, key, value);
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
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) {
    if (!has(after, key)) setOwn(patch, key, null);
  }
  for (const [key, value] of Object.entries(after)) {
    const old = has(before, key) ? before[key] : undefined;
    if (isObject(value) && isObject(old)) {
      const nested = createMergePatch(old, value);
      if (nested !== undefined) setOwn(patch, key, nested);
    } else if (!jsonEqual(old, value)) {
      setOwn(patch, key, value);
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
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    setOwn(out, k, isObject(v) ? withoutNulls(v) : v);
  }
  return out;
}
