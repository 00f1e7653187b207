/**
 * Applying a diff to only the shards it reaches (lambdas/inventory/partial-apply.ts) must give exactly what
 * merging the whole section and re-cutting it gives: the same shard bytes, the same layout, the same
 * change summary — or decline, and the caller re-cuts the whole section.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyLocal, localTargets } from '#lambdas/inventory/partial-apply.ts';
import {
  buildShards,
  chooseShardCount,
  decodeManifest,
  encodeManifest,
  sectionLayout,
} from '#lambdas/inventory/shards.ts';
import { summarizeSectionChange } from '#lambdas/inventory/summary.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { applyMergePatch, createMergePatch } from '#protocol/merge-patch.ts';
import { rng } from './fixtures.ts';

const MAX = 512 * 1024;

function randomValue(r: () => number, depth: number): unknown {
  const roll = r();
  if (roll < 0.25) return Math.floor(r() * 1e6);
  if (roll < 0.45) return `s${Math.floor(r() * 1e4)}`.repeat(1 + Math.floor(r() * 25));
  if (roll < 0.5) return [Math.floor(r() * 10), 'x', null];
  if (roll < 0.55) return r() < 0.5;
  if (depth === 0 || roll < 0.6) return {};
  return randomObject(r, depth - 1, 1 + Math.floor(r() * (r() < 0.3 ? 30 : 6)));
}

function randomObject(r: () => number, depth: number, size: number): JsonObject {
  const obj: JsonObject = {};
  for (let i = 0; i < size; i++) obj[`k${Math.floor(r() * size * 2)}`] = randomValue(r, depth);
  return obj;
}

/** A random path into the object: a list of existing keys, possibly ending in a new one. */
function randomPath(r: () => number, root: JsonObject): string[] {
  const path: string[] = [];
  let node: unknown = root;
  while (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const keys = Object.keys(node);
    if (keys.length === 0 || r() < 0.2) {
      path.push(`n${Math.floor(r() * 100)}`);
      break;
    }
    const key = keys[Math.floor(r() * keys.length)] as string;
    path.push(key);
    node = (node as JsonObject)[key];
    if (r() < 0.3) break;
  }
  return path;
}

function mutate(r: () => number, content: JsonObject): JsonObject {
  const next = structuredClone(content);
  for (let changes = 1 + Math.floor(r() * 4); changes > 0; changes--) {
    const path = randomPath(r, next);
    let node = next;
    for (const key of path.slice(0, -1)) node = node[key] as JsonObject;
    const last = path[path.length - 1] as string;
    const roll = r();
    if (roll < 0.3) delete node[last];
    else if (roll < 0.4) node[last] = randomObject(r, 1, 5 + Math.floor(r() * 40));
    else node[last] = randomValue(r, 1);
  }
  return next;
}

/** Merge patches the agent would not send but the protocol allows: deletes of absent keys, objects over scalars. */
function oddPatch(r: () => number, content: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (let i = 0; i < 1 + Math.floor(r() * 3); i++) {
    const path = randomPath(r, content);
    let node = patch;
    for (const key of path.slice(0, -1)) {
      const child = isObject(node[key]) ? (node[key] as JsonObject) : {};
      node[key] = child;
      node = child;
    }
    const roll = r();
    node[path[path.length - 1] as string] =
      roll < 0.4 ? null : roll < 0.7 ? { x: randomValue(r, 0), y: null } : 1;
  }
  return patch;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

describe('applying a patch to the shards it reaches', () => {
  it('gives exactly the shards, layout and summary of a whole re-cut, or declines', () => {
    const taken = { local: 0, declined: 0, throughSplit: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (seed, odd) => {
        const r = rng(seed);
        const content = randomObject(r, 3, 1 + Math.floor(r() * 60));
        const layout = sectionLayout(content);
        // Any shard count the section could have kept from an earlier size.
        const candidates = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter(
          (n) => chooseShardCount(layout.bytes, n) === n,
        );
        const n = candidates[Math.floor(r() * candidates.length)] ?? chooseShardCount(layout.bytes);
        const shards = buildShards(content, n);
        const versions = shards.map((s, i) => (s ? i + 2 : undefined));
        const manifest = decodeManifest(encodeManifest({ n, versions, layout }));
        const patch = odd ? oddPatch(r, content) : (createMergePatch(content, mutate(r, content)) ?? {});

        const expected = applyMergePatch(content, patch);
        const targets = localTargets(patch, manifest);
        const result = targets
          ? applyLocal(targets, new Map(targets.shards.map((i) => [i, shards[i] ?? ''])), MAX)
          : undefined;
        if (!result || !targets) {
          taken.declined++;
          return;
        }
        taken.local++;
        if (targets.visited.length > 0) taken.throughSplit++;
        expect(chooseShardCount(sectionLayout(expected).bytes, n)).toBe(n);
        expect(shards.map((s, i) => result.shards.get(i) ?? s)).toEqual(buildShards(expected, n));
        expect(result.layout).toEqual(sectionLayout(expected));
        expect(summarizeSectionChange(result.before, result.after, result.splitAt)).toEqual(
          summarizeSectionChange(content, expected),
        );
      }),
      // A fixed seed: the non-vacuity counts below depend on the draw, and CI must not flake on them.
      { numRuns: 2000, seed: 20241129 },
    );
    // Not vacuous: both outcomes, and local patches that go through split objects.
    expect(taken).toMatchObject({
      local: expect.toSatisfy((x: number) => x > 400),
      declined: expect.toSatisfy((x: number) => x > 100),
      throughSplit: expect.toSatisfy((x: number) => x > 100),
    });
  });

  it('declines what changes the layout', () => {
    const packages = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`p${i}`, { name: `package ${i}`, version: '1.0.0' }]),
    );
    const content: JsonObject = { packages, small: { a: 1 } };
    const layout = sectionLayout(content);
    const manifest = { n: chooseShardCount(layout.bytes), versions: [], layout };
    const shards = buildShards(content, manifest.n);
    const apply = (patch: JsonObject) => {
      const t = localTargets(patch, manifest);
      return t && applyLocal(t, new Map(t.shards.map((i) => [i, shards[i] ?? ''])), MAX);
    };
    expect(apply({ packages: { p3: { version: '1.0.1' } } })).toBeDefined();
    // A split object replaced or deleted, an entry grown past the split size, n outgrown.
    expect(localTargets({ packages: null }, manifest)).toBeUndefined();
    expect(localTargets({ packages: 'none' }, manifest)).toBeUndefined();
    expect(apply({ small: { blob: 'x'.repeat(600) } })).toBeUndefined();
    const many = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`q${i}`, { name: `new ${i}`, version: '2' }]),
    );
    expect(apply({ packages: many })).toBeUndefined();
    // A section manifest written without a layout.
    expect(localTargets({ small: { a: 2 } }, { n: manifest.n, versions: [] })).toBeUndefined();
  });
});
