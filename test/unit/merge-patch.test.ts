import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMergePatch, createMergePatch } from '#protocol/merge-patch.ts';

describe('JSON merge patch', () => {
  it('turns any state into any other state (no nulls in states)', () => {
    const state = fc.dictionary(
      fc.string({ maxLength: 6 }),
      fc.oneof(
        fc.integer(),
        fc.string(),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 4 }),
      ),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(state, state, (before, after) => {
        const patch = createMergePatch(before, after);
        expect(patch === undefined ? before : applyMergePatch(before, patch)).toEqual(after);
      }),
      { numRuns: 500 },
    );
  });

  it('treats keys that name Object.prototype members as plain data', () => {
    const before = JSON.parse('{"constructor":{"v":1},"toString":"x","__proto__":{"polluted":true}}');
    const after = JSON.parse('{"__proto__":{"polluted":false}}');

    const patch = createMergePatch(before, after);
    const applied = applyMergePatch(before, patch ?? {});

    expect(Object.keys(applied)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(applied, '__proto__')?.value).toEqual({ polluted: false });
    // Results have no prototype at all (the patch's __proto__ value never becomes one).
    expect(Object.getPrototypeOf(applied)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('is idempotent: applying a patch twice gives the same state', () => {
    const state = { a: { b: 1, c: 2 }, d: 'x' };
    const patch = { a: { b: null, e: 3 }, d: null };
    const once = applyMergePatch(state, patch);
    expect(applyMergePatch(once, patch)).toEqual(once);
  });
});
