import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '#agent/backoff.ts';

const options = { baseMs: 1_000, maxMs: 120_000, jitter: 0.5 };

describe('reconnect backoff', () => {
  it('doubles from the base without jitter', () => {
    const noJitter = { ...options, jitter: 0 };

    expect([0, 1, 2, 3].map((n) => backoffDelay(n, noJitter))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('never waits longer than the maximum, however many attempts failed', () => {
    expect(backoffDelay(1_000, options, () => 0.999)).toBeLessThanOrEqual(options.maxMs);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, options, () => 1)).toBe(options.maxMs);
  });

  it('stays within [ceiling·(1-jitter), ceiling] for any attempt and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, draw, jitter) => {
          const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
          const delay = backoffDelay(attempt, { ...options, jitter }, () => draw);
          return delay >= Math.floor(ceiling * (1 - jitter)) && delay <= ceiling;
        },
      ),
    );
  });

  it('spreads a fleet that reconnects at the same moment', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, options)));

    expect(delays.size).toBeGreaterThan(10);
  });
});
