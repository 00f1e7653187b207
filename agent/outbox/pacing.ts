/**
 * Replay pacing: after an outage, 10,000 agents reconnect within seconds of each other, each with a
 * backlog. Each one waits a random jitter (scaled by its backlog: a lone queued result barely waits)
 * before replaying, then sends through a token bucket on messages/s and bytes/s, well under IoT
 * Core's 100 publishes/s per connection.
 */

export interface ReplayPacing {
  /** Sustained publishes per second from the outbox (live and replayed alike). */
  readonly messagesPerSec: number;
  /** Sustained bytes per second from the outbox. */
  readonly bytesPerSec: number;
  /** Upper bound of the random wait before a backlog starts replaying after a (re)connect. */
  readonly jitterMaxMs: number;
  /** The jitter window grows by this much per queued message, up to `jitterMaxMs`. */
  readonly jitterPerQueuedMs: number;
}

export interface PacingClock {
  /** @default Date.now */
  readonly now?: () => number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Half a second of burst: any one-second window then sees at most 1.5 × the rate (burst + refill),
 * so 256 KiB/s stays under IoT Core's 512 KiB/s per connection even at its peak.
 */
const BURST_SEC = 0.5;

/** A bucket of `capacity` tokens refilled at `ratePerSec`. */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Milliseconds until `cost` can be taken (0: now). A cost above the capacity waits for a full bucket. */
  waitFor(cost: number): number {
    this.refill();
    const needed = Math.min(cost, this.capacity);
    if (this.tokens >= needed) return 0;
    return Math.max(1, Math.ceil(((needed - this.tokens) / this.ratePerSec) * 1000));
  }

  /** Takes `cost`; the bucket may go negative for a message larger than its capacity. */
  take(cost: number): void {
    this.refill();
    this.tokens -= cost;
  }

  private refill(): void {
    const now = this.now();
    const elapsedSec = Math.max(0, now - this.updatedAt) / 1000;
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsedSec * this.ratePerSec);
  }
}

export class ReplayPacer {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly random: () => number;

  constructor(
    private readonly pacing: ReplayPacing,
    clock: PacingClock = {},
  ) {
    if (!(pacing.messagesPerSec > 0) || !(pacing.bytesPerSec > 0)) {
      throw new RangeError('outbox replay rates must be positive');
    }
    // Read through the globals at each call, so fake clocks in tests apply.
    const now = clock.now ?? (() => Date.now());
    this.random = clock.random ?? (() => Math.random());
    this.messages = new TokenBucket(
      pacing.messagesPerSec,
      Math.max(1, pacing.messagesPerSec * BURST_SEC),
      now,
    );
    this.bytes = new TokenBucket(pacing.bytesPerSec, pacing.bytesPerSec * BURST_SEC, now);
  }

  /** The random wait before replaying a backlog of `queued` messages: 0..min(max, queued × per-message). */
  startDelayMs(queued: number): number {
    const window = Math.min(this.pacing.jitterMaxMs, queued * this.pacing.jitterPerQueuedMs);
    return window > 0 ? Math.floor(this.random() * window) : 0;
  }

  /** 0 when a message of `bytes` may go now (its tokens are taken); else the milliseconds to wait. */
  reserve(bytes: number): number {
    const wait = Math.max(this.messages.waitFor(1), this.bytes.waitFor(bytes));
    if (wait > 0) return wait;
    this.messages.take(1);
    this.bytes.take(bytes);
    return 0;
  }
}
