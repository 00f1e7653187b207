/**
 * Inventory content keyed `__proto__`, `constructor` and `prototype` at every depth: top level of a
 * section, nested in small values, and inside objects large enough to be split into entries (so
 * the keys become shard paths). Built with defineProperty, as a device's JSON decodes, and checked
 * with helpers that see such keys as the data they are.
 */
import { expect } from 'vitest';
import { emptyJsonObject, isJsonObject, type JsonObject, setKey } from '#protocol/json-object.ts';

export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Object from [key, value] pairs, every key an own data property. */
export function obj(...members: [string, unknown][]): JsonObject {
  const o = emptyJsonObject();
  for (const [k, v] of members) setKey(o, k, v);
  return o;
}

const pad = (n: number, tag: string) => `${tag}-${'x'.repeat(n)}`;

/** A value that would pollute Object.prototype if its key were assigned instead of defined. */
const poison = (tag: string, size = 20) => obj(['polluted', tag], ['pad', pad(size, tag)]);

/** A section holding hostile keys everywhere; `variant` changes a few values (for diffs). */
export function hostileSection(variant = 0): JsonObject {
  const splitChildren = (depth: number): JsonObject =>
    obj(
      ...HOSTILE_KEYS.map((k): [string, unknown] => [
        k,
        depth > 0 ? splitChildren(depth - 1) : poison(`${k}-leaf-${variant}`, 200),
      ]),
      ['ordinary', pad(200, `ordinary-${depth}`)],
    );
  return obj(
    ['__proto__', poison(`top-${variant}`)],
    ['constructor', obj(['prototype', poison('ctor.prototype')], ['name', 'not Object'])],
    ['prototype', `plain string ${variant}`],
    // Large: split into its children, and those into theirs (paths like ["nest","__proto__","constructor"]).
    ['nest', splitChildren(2)],
    [
      'packages',
      obj(
        ...Array.from({ length: 20 }, (_, i): [string, unknown] => [`pkg-${i}`, poison(`pkg-${i}`, 40)]),
        ['__proto__', poison(`pkg-proto-${variant}`, 40)],
        ['constructor', poison('pkg-ctor', 40)],
      ),
    ],
  );
}

/** Key-sorted canonical JSON: equal for equal data, whatever the key order or prototypes. */
export function canonicalJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (!isJsonObject(v)) return v;
    return obj(
      ...Object.keys(v)
        .sort()
        .map((k): [string, unknown] => [k, sorted(v[k])]),
    );
  };
  return JSON.stringify(sorted(value));
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype is exactly what it was when this module loaded. */
export function expectPrototypeUntouched(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).pad).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(Object.getPrototypeOf(Object.prototype)).toBeNull();
}
