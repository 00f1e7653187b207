/**
 * JSON objects whose keys are data. Devices and operators choose keys; `__proto__`, `constructor`
 * and `prototype` are ordinary keys here, stored and served back like any other. So every object
 * built from such data has a null prototype (no inherited `constructor`, no `__proto__` accessor)
 * and every member is written with defineProperty, never with `o[key] = v` (which on an ordinary
 * object turns `__proto__` into a prototype change — and, on a shared prototype, into pollution of
 * the whole process).
 */

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An empty object with no prototype: a key looked up in it is only ever its own member. */
export const emptyJsonObject = (): JsonObject => Object.create(null) as JsonObject;

/** Sets a member by definition, so any key (`__proto__` included) becomes an own data property. */
export function setKey(o: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The own member at `key`, never an inherited one (`({}).constructor` is Object, not data). */
export const getKey = (o: JsonObject, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

export function jsonObjectFromEntries(entries: Iterable<readonly [string, unknown]>): JsonObject {
  const out = emptyJsonObject();
  for (const [key, value] of entries) setKey(out, key, value);
  return out;
}

/**
 * A copy of a JSON value in which every object has a null prototype. Iterative, so no depth of
 * input can overflow the stack; arrays stay arrays.
 */
export function toKeySafe(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const copyOf = (source: object): unknown[] | JsonObject => {
    if (Array.isArray(source)) {
      const copy = [...source];
      copy.forEach((v, i) => {
        if (typeof v === 'object' && v !== null) pending.push([v, (c) => (copy[i] = c)]);
      });
      return copy;
    }
    const copy = emptyJsonObject();
    // Members are defined in source order (re-defining one later keeps its place): byte-stable output.
    for (const [k, v] of Object.entries(source)) {
      setKey(copy, k, v);
      if (typeof v === 'object' && v !== null) pending.push([v, (c) => setKey(copy, k, c)]);
    }
    return copy;
  };
  const pending: [source: object, assign: (copy: unknown) => void][] = [];
  const root = copyOf(value);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) item[1](copyOf(item[0]));
  return root;
}

/**
 * JSON.parse whose objects have a null prototype. For JSON this process wrote itself (stored
 * shards); device input goes through protocol/encoding.ts, which bounds it first.
 */
export const parseKeySafeJson = (text: string): unknown => toKeySafe(JSON.parse(text));
