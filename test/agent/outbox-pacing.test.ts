import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '#agent/logger.ts';
import { ReplayPacer } from '#agent/outbox/pacing.ts';
import { DiskOutbox, type OutboxMessage, outboxLimits } from '#agent/outbox.ts';
import { topics } from '#protocol/topics.ts';

const result = topics.commandResult('dev-1');

describe('replay pacer', () => {
  it('spreads the start over 0..min(max, queued × per-message)', () => {
    const pacing = { messagesPerSec: 20, bytesPerSec: 1e6, jitterMaxMs: 30_000, jitterPerQueuedMs: 100 };
    const at = (random: number) => new ReplayPacer(pacing, { random: () => random, now: () => 0 });

    expect(at(0.5).startDelayMs(0)).toBe(0);
    expect(at(0.999).startDelayMs(1)).toBe(99);
    expect(at(0.5).startDelayMs(100)).toBe(5_000);
    expect(at(0.999).startDelayMs(10_000)).toBe(29_970);
  });

  it('lets half a second of burst through, then one message per 1/rate', () => {
    let now = 0;
    const pacer = new ReplayPacer(
      { messagesPerSec: 20, bytesPerSec: 1e9, jitterMaxMs: 0, jitterPerQueuedMs: 0 },
      { now: () => now },
    );

    for (let i = 0; i < 10; i++) expect(pacer.reserve(100)).toBe(0);
    expect(pacer.reserve(100)).toBe(50);
    now += 50;
    expect(pacer.reserve(100)).toBe(0);
  });

  it('caps bytes per second too, and lets a message above the burst through once the bucket is full', () => {
    let now = 0;
    const pacer = new ReplayPacer(
      { messagesPerSec: 1_000, bytesPerSec: 10_000, jitterMaxMs: 0, jitterPerQueuedMs: 0 },
      { now: () => now },
    );

    expect(pacer.reserve(30_000)).toBe(0); // bucket full (5,000): goes, and the bucket goes 25,000 negative
    expect(pacer.reserve(1_000)).toBe(2_600);
    now += 2_600;
    expect(pacer.reserve(1_000)).toBe(0);
  });

  it('never lets a greedy sender past 1.5 × the rate in any one-second window', () => {
    let now = 0;
    const rate = { messagesPerSec: 20, bytesPerSec: 256 * 1024 };
    const pacer = new ReplayPacer({ ...rate, jitterMaxMs: 0, jitterPerQueuedMs: 0 }, { now: () => now });
    const sent: Array<{ at: number; bytes: number }> = [];
    for (; now < 20_000; now++) {
      const bytes = 1_000 + ((now * 7919) % 60_000);
      if (pacer.reserve(bytes) === 0) sent.push({ at: now, bytes });
    }

    let peak = { messages: 0, bytes: 0 };
    for (const s of sent) {
      const window = sent.filter((o) => o.at >= s.at && o.at < s.at + 1_000);
      const bytes = window.reduce((sum, o) => sum + o.bytes, 0);
      peak = { messages: Math.max(peak.messages, window.length), bytes: Math.max(peak.bytes, bytes) };
    }
    expect(peak.messages).toBeLessThanOrEqual(1.5 * rate.messagesPerSec);
    // One message may overdraw the bucket by up to its own size.
    expect(peak.bytes).toBeLessThanOrEqual(1.5 * rate.bytesPerSec + 61_000);
    expect(sent.length).toBeGreaterThan(60);
  });
});

describe('outbox replay after an outage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-outbox-pacing-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits a jitter, then replays in order at the capped rate, and live messages follow the backlog', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      outboxLimits({
        replay: { messagesPerSec: 10, bytesPerSec: 1e9, jitterMaxMs: 30_000, jitterPerQueuedMs: 100 },
      }),
      silentLogger,
      { random: () => 0.5 },
    );
    for (let i = 0; i < 30; i++) await outbox.put(result, Buffer.from(`q${i}`), 1);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const sent: Array<{ payload: string; at: number }> = [];
    const start = Date.now();
    outbox.attach(
      async (m: OutboxMessage) => void sent.push({ payload: m.payload.toString(), at: Date.now() - start }),
    );

    // Fake time moves in small steps; real file reads and deletes get a chance between them.
    const advanceUntil = async (done: () => boolean, limitMs: number) => {
      for (let waited = 0; !done() && waited < limitMs; waited += 10) {
        await vi.advanceTimersByTimeAsync(10);
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      }
    };

    // 30 queued: the window is 3,000 ms, the jitter half of it.
    await vi.advanceTimersByTimeAsync(1_490);
    expect(sent).toEqual([]);
    await advanceUntil(() => sent.length >= 5, 100);
    const live = outbox.put(result, Buffer.from('live'), 1);
    await advanceUntil(() => sent.length >= 31, 60_000);
    await live;

    expect(sent.map((s) => s.payload)).toEqual([...Array.from({ length: 30 }, (_, i) => `q${i}`), 'live']);
    expect(sent[0]?.at).toBeGreaterThanOrEqual(1_500);
    // After half a second of burst, 10/s: the n-th message past the burst waits for its token (the
    // disk may delay a send further, never bring it earlier).
    for (const [n, s] of sent.slice(5).entries())
      expect(s.at).toBeGreaterThanOrEqual(1_500 + (n + 1) * 100 - 1);
    expect(await outbox.flush(5_000)).toBe(true);
    // Real file reads between fake-time steps: slow on a loaded machine, never wrong.
  }, 60_000);
});
