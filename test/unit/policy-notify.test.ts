import { describe, expect, it } from 'vitest';
import { HeadCache } from '#lambdas/policies/effective.ts';
import { DEFAULT_HEAD_CACHE_SEC } from '#lambdas/policies/handler-deps.ts';
import { POLICY_NOTIFY_WINDOW_MS, policyChangedCommand } from '#lambdas/policies/notify.ts';
import type { PolicyStoreDeps } from '#lambdas/policies/store.ts';
import { policyHeadCacheSetting } from '#wiring/policies.ts';

describe('policy notifications', () => {
  it('give the same id to every notification of one version within a window, a new one after', () => {
    const start = 10 * POLICY_NOTIFY_WINDOW_MS;
    const first = policyChangedCommand(7, start);
    const again = policyChangedCommand(7, start + POLICY_NOTIFY_WINDOW_MS - 1);
    const later = policyChangedCommand(7, start + POLICY_NOTIFY_WINDOW_MS);
    const newer = policyChangedCommand(8, start);

    expect(again.commandId).toBe(first.commandId);
    expect(later.commandId).not.toBe(first.commandId);
    expect(newer.commandId).not.toBe(first.commandId);
    expect(first.commandId).toMatch(/^policy-changed-/);
  });
});

describe('policy head cache', () => {
  /** A store whose every GetItem answers the next version, counting reads. */
  function countingStore() {
    let reads = 0;
    const deps = {
      policiesTable: 'policies',
      ddb: {
        send: async () => {
          reads += 1;
          return { Item: { policyId: 'p', latestVersion: reads, document: {}, createdAt: 0 } };
        },
      },
    } as unknown as PolicyStoreDeps;
    return { deps, reads: () => reads };
  }

  it('reads a head once per time-to-live, and again after it or when told to forget it', async () => {
    let now = 1_000;
    const cache = new HeadCache(15_000, () => now);
    const store = countingStore();

    expect((await cache.get(store.deps, 'p'))?.latestVersion).toBe(1);
    now += 14_999;
    expect((await cache.get(store.deps, 'p'))?.latestVersion).toBe(1);
    now += 1;
    expect((await cache.get(store.deps, 'p'))?.latestVersion).toBe(2);
    cache.forget('p');
    expect((await cache.get(store.deps, 'p'))?.latestVersion).toBe(3);
    expect(store.reads()).toBe(3);
  });

  it("declares the setting's default as the handler falls back to it", () => {
    expect(Number(policyHeadCacheSetting.default)).toBe(DEFAULT_HEAD_CACHE_SEC);
  });

  it('keeps nothing with a time-to-live of zero', async () => {
    const cache = new HeadCache(0, () => 0);
    const store = countingStore();
    await cache.get(store.deps, 'p');
    await cache.get(store.deps, 'p');
    expect(store.reads()).toBe(2);
  });
});
