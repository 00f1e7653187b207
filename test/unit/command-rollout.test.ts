/** Rollout pacing (lambdas/commands/fanout.ts): the schedule the fan-out gives its dispatch messages. */
import { describe, expect, it } from 'vitest';
import { FANOUT_PAGE_SIZE, rolloutDelaySec, rolloutPageSec } from '#lambdas/commands/fanout.ts';

/** Dispatch times (s) of `devices` devices, page after page, as the fan-out schedules them. */
function schedule(devices: number, rate: number): number[] {
  const pageSize = Math.min(FANOUT_PAGE_SIZE, rate);
  const times: number[] = [];
  let pageStart = 0;
  for (let left = devices; left > 0; left -= pageSize) {
    const queued = Math.min(pageSize, left);
    for (let i = 0; i < queued; i++) times.push(pageStart + rolloutDelaySec(i, rate));
    pageStart += rolloutPageSec(queued, rate);
  }
  return times;
}

/** The most devices dispatched within any 60-second window. */
function busiestMinute(times: number[]): number {
  let most = 0;
  for (const start of times) most = Math.max(most, times.filter((t) => t >= start && t < start + 60).length);
  return most;
}

describe('rollout pacing', () => {
  it('dispatches everything at once without a rate', () => {
    expect([0, 5, 99].map((i) => rolloutDelaySec(i, undefined))).toEqual([0, 0, 0]);
    expect(rolloutPageSec(100, undefined)).toBe(0);
  });

  it.each([1, 7, 30, 59, 60, 100, 600, 1000, 6000])(
    'never exceeds %i per minute, and takes the time the rate implies',
    (rate) => {
      const devices = Math.min(3 * rate + 5, 2500);
      const times = schedule(devices, rate);
      expect(busiestMinute(times)).toBeLessThanOrEqual(rate);
      // Not slower than the rate either: the last device goes within a second of its ideal time.
      const ideal = ((devices - 1) * 60) / rate;
      expect(times.at(-1)).toBeGreaterThan(ideal - 1);
      expect(times.at(-1)).toBeLessThanOrEqual(ideal);
      expect(Math.max(...times.map((t, i) => (i === 0 ? 0 : t - (times[i - 1] ?? 0))))).toBeLessThanOrEqual(
        Math.ceil(60 / rate),
      );
    },
  );

  it('stays within what SQS can delay (900 s), whatever the rate', () => {
    for (const rate of [1, 2, 100, 100_000]) {
      const pageSize = Math.min(FANOUT_PAGE_SIZE, rate);
      expect(rolloutDelaySec(pageSize - 1, rate)).toBeLessThan(60);
      expect(rolloutPageSec(pageSize, rate)).toBeLessThanOrEqual(60);
    }
  });

  it('600 a minute over 30 devices: ten a second, over 0, 1 and 2 s', () => {
    const times = schedule(30, 600);
    expect(times.filter((t) => t === 0)).toHaveLength(10);
    expect(times.filter((t) => t === 1)).toHaveLength(10);
    expect(times.filter((t) => t === 2)).toHaveLength(10);
  });
});
