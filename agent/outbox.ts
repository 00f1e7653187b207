/**
 * Store and forward: QoS 1 messages wait here, on disk, until the broker acknowledges them.
 *
 * One file per message under `<dataDir>/outbox/` (outbox/files.ts), written durably, deleted only
 * after the PUBACK: delivery is at-least-once (the cloud side is idempotent). Each message belongs
 * to a data class (outbox/classes.ts) with its own bound and its own rule when full; what the bounds
 * cost is counted (outbox/counters.ts). Sending is paced (outbox/pacing.ts): a jitter before a
 * backlog replays, then a token bucket. docs/agent-outbox.md has the whole design.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import type { OutboxStatus } from '#protocol/heartbeat.ts';
import { errorMessage } from './logger.ts';
import type { AgentLogger } from './module.ts';
import { type DataClass, dataClassOf } from './outbox/classes.ts';
import { type OutboxCounters, readCounters, writeCounters } from './outbox/counters.ts';
import { InventoryBacklogCollapsed, OutboxClassFull, OutboxError } from './outbox/errors.ts';
import {
  CORRUPT_SUFFIX,
  decodeOutboxFile,
  encodeOutboxFile,
  listQueued,
  messageFileName,
  type OutboxMessage,
  syncDir,
  unlinkQuietly,
  writeDurably,
} from './outbox/files.ts';
import type { OutboxLimits } from './outbox/limits.ts';
import { type PacingClock, ReplayPacer } from './outbox/pacing.ts';
import { MessageQueue, type QueuedEntry, type Waiter } from './outbox/queue.ts';

export type { DataClass } from './outbox/classes.ts';
export { InventoryBacklogCollapsed, OutboxClassFull, OutboxError } from './outbox/errors.ts';
export type { OutboxMessage } from './outbox/files.ts';
export { decodeOutboxFile, encodeOutboxFile } from './outbox/files.ts';
export { type OutboxLimits, type OutboxTuning, outboxLimits } from './outbox/limits.ts';

/** Sends one message on the live connection; resolves on the broker's acknowledgement. */
export type OutboxSender = (message: OutboxMessage) => Promise<void>;

export interface Outbox {
  /** Durably queues a message; resolves once the broker acknowledged it. */
  enqueue(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /**
   * Durably queues a message; resolves once it is on disk (then it is sent, even after a crash,
   * unless its class's bound drops it: analyzer batches, inventory collapsed into a resync).
   * `delivered` settles on acknowledgement. Rejects with InventoryBacklogCollapsed or
   * OutboxClassFull when the class's bound refuses it.
   */
  put(topic: string, payload: Buffer, qos: 0 | 1): Promise<{ readonly delivered: Promise<void> }>;
  /** Starts sending queued messages, oldest first, through `send` (call on connect). */
  attach(send: OutboxSender): void;
  /** Stops sending (call on disconnect); unacknowledged messages stay queued. */
  detach(): void;
  /** Resolves true once nothing is queued, false if `timeoutMs` passes first. */
  flush(timeoutMs: number): Promise<boolean>;
  stats(): { readonly count: number; readonly bytes: number };
  /** What is queued and what the bounds have cost so far (the heartbeat's `outbox`). */
  status(): OutboxStatus;
  /** Detaches and releases waiters; queued messages stay on disk for the next start. */
  close(): Promise<void>;
}

export class DiskOutbox implements Outbox {
  private readonly queue = new MessageQueue();
  private nextSeq: number;
  private writeChain: Promise<void> = Promise.resolve();
  private sender: OutboxSender | undefined;
  private inFlight = 0;
  private pumping = false;
  private pumpAgain = false;
  private paused = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set while waiting out the jitter before a backlog replays, or for the token bucket. */
  private waitTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly emptyWaiters = new Set<() => void>();
  private readonly pacer: ReplayPacer;

  private constructor(
    private readonly dir: string,
    private readonly limits: OutboxLimits,
    private readonly logger: AgentLogger,
    private readonly counters: OutboxCounters,
    clock: PacingClock,
    existing: QueuedEntry[],
  ) {
    for (const entry of existing) this.queue.push(entry);
    this.nextSeq = this.queue.lastSeq + 1;
    this.pacer = new ReplayPacer(limits.replay, clock);
  }

  /** Opens (creating if needed) the outbox in `dir`, picking up what a previous run left. */
  static async open(
    dir: string,
    limits: OutboxLimits,
    logger: AgentLogger,
    clock: PacingClock = {},
  ): Promise<DiskOutbox> {
    await mkdir(dir, { recursive: true });
    const listed = await listQueued(dir);
    const { counters, problem } = readCounters(dir);
    if (problem !== undefined) logger.warn('outbox: counters start again from zero', { problem });
    const existing = listed.map((m) => ({ ...m, inFlight: false, removed: false, waiters: [] }));
    const outbox = new DiskOutbox(dir, limits, logger, counters, clock, existing);
    if (existing.length > 0) {
      logger.info('outbox: messages left from a previous run', {
        count: existing.length,
        bytes: outbox.queue.bytes,
      });
    }
    return outbox;
  }

  stats(): { count: number; bytes: number } {
    return { count: this.queue.count, bytes: this.queue.bytes };
  }

  status(): OutboxStatus {
    return { queued: this.queue.count, bytes: this.queue.bytes, ...this.counters };
  }

  async enqueue(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    const { delivered } = await this.put(topic, payload, qos);
    return delivered;
  }

  put(topic: string, payload: Buffer, qos: 0 | 1): Promise<{ readonly delivered: Promise<void> }> {
    if (this.closed) return Promise.reject(new OutboxError('outbox is closed'));
    if (payload.length > MAX_PAYLOAD_BYTES) {
      return Promise.reject(
        new OutboxError(`payload for ${topic} is ${payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`),
      );
    }
    const dataClass = dataClassOf(topic);
    const data = encodeOutboxFile({ topic, qos, enqueuedAt: Date.now() }, payload);
    // Inventory is never refused for its size: a lone full report always gets in.
    if (dataClass !== 'inventory' && data.length > this.limits.classes[dataClass].maxBytes) {
      return Promise.reject(
        new OutboxError(`message of ${data.length} bytes exceeds the ${dataClass} share of the outbox`),
      );
    }
    // Writes are chained so entries join the queue in sequence order.
    const written = this.writeChain.then(async () => {
      await this.admit(dataClass, data.length);
      const seq = this.nextSeq++;
      const name = messageFileName(seq, dataClass, data.length);
      await writeDurably(this.dir, name, data);
      const waiters: Waiter[] = [];
      const delivered = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      // The caller may ignore `delivered`; an eviction must not become an unhandled rejection.
      delivered.catch(() => undefined);
      this.queue.push({ seq, name, bytes: data.length, dataClass, inFlight: false, removed: false, waiters });
      this.pump();
      return { delivered };
    });
    this.writeChain = written.then(
      () => undefined,
      () => undefined,
    );
    return written;
  }

  attach(send: OutboxSender): void {
    this.sender = send;
    this.paused = false;
    clearTimeout(this.retryTimer);
    this.clearWait();
    const delayMs = this.pacer.startDelayMs(this.queue.count);
    if (delayMs > 0) {
      this.logger.info('outbox: replaying the backlog after a random delay', {
        queued: this.queue.count,
        delayMs,
      });
      this.waitThenPump(delayMs);
      return;
    }
    this.pump();
  }

  detach(): void {
    this.sender = undefined;
    clearTimeout(this.retryTimer);
    this.clearWait();
  }

  flush(timeoutMs: number): Promise<boolean> {
    if (this.queue.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.emptyWaiters.delete(onEmpty);
        resolve(value);
      };
      const onEmpty = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.emptyWaiters.add(onEmpty);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.detach();
    await this.writeChain;
    const err = new OutboxError('outbox closed; the message stays queued on disk for the next start');
    for (const entry of this.queue.all()) for (const w of entry.waiters.splice(0)) w.reject(err);
    for (const waiter of [...this.emptyWaiters]) waiter();
  }

  // ------------------------------------------------------------------ class bounds

  /**
   * Makes room for a message of `dataClass` before it is written, so the folder never holds more
   * than the bounds. Throws when the class's rule refuses the message.
   */
  private async admit(dataClass: DataClass, bytes: number): Promise<void> {
    const bound = this.limits.classes[dataClass];
    const fits = () => {
      const used = this.queue.use(dataClass);
      return used.count + 1 <= bound.maxMessages && used.bytes + bytes <= bound.maxBytes;
    };
    if (fits()) return;
    if (dataClass === 'command-result') {
      throw new OutboxClassFull(
        `the outbox holds ${this.queue.use(dataClass).count} undelivered command results (its bound): this one is refused, none is dropped`,
      );
    }
    if (dataClass === 'inventory') return this.collapseInventory();
    // analyzer and other: the oldest of the class goes first (one in flight may still be acknowledged).
    const dropped: QueuedEntry[] = [];
    while (!fits()) {
      const oldest = this.queue.oldestWaiting(dataClass);
      if (oldest === undefined) break;
      this.remove(oldest, new OutboxError(`dropped from the full ${dataClass} share of the outbox`));
      dropped.push(oldest);
    }
    if (dropped.length === 0) return;
    if (dataClass === 'analyzer') {
      this.counters.analyzerBatchesDropped += dropped.length;
      // Counted before the files go: a crash in between overstates a loss, never hides one.
      this.persistCounters();
    }
    this.logger.warn(`outbox: ${dataClass} share full, dropped the oldest`, {
      dropped: dropped.length,
      seqs: dropped.map((e) => e.seq),
      analyzerBatchesDropped: this.counters.analyzerBatchesDropped,
    });
    await this.unlinkAll(dropped);
  }

  /**
   * The inventory backlog passed its bound: the queued (not in-flight) reports go, and the caller
   * is told to publish one full report instead. A crash before that full report is queued leaves
   * no gap either: the inventory module sends a full report at every start.
   */
  private async collapseInventory(): Promise<void> {
    const queued = this.queue.allWaiting('inventory');
    // Only in-flight reports (or none) to make room from: the new one gets in over the bound.
    if (queued.length === 0) return;
    const collapsed = new InventoryBacklogCollapsed(queued.length);
    for (const entry of queued) this.remove(entry, collapsed);
    this.counters.inventoryCollapses += 1;
    this.persistCounters();
    this.logger.warn('outbox: inventory backlog collapsed into one full report', {
      removed: queued.length,
      inventoryCollapses: this.counters.inventoryCollapses,
    });
    await this.unlinkAll(queued);
    throw collapsed;
  }

  private persistCounters(): void {
    try {
      writeCounters(this.dir, this.counters);
    } catch (err) {
      this.logger.error('outbox: cannot persist counters', { error: errorMessage(err) });
    }
  }

  private async unlinkAll(entries: readonly QueuedEntry[]): Promise<void> {
    for (const entry of entries) {
      await unlinkQuietly(join(this.dir, entry.name)).catch((err) =>
        this.logger.error('outbox: cannot delete a dropped message', {
          file: entry.name,
          error: errorMessage(err),
        }),
      );
    }
    await syncDir(this.dir);
  }

  private remove(entry: QueuedEntry, err?: Error): void {
    if (!this.queue.delete(entry)) return;
    if (entry.inFlight) this.inFlight -= 1;
    for (const w of entry.waiters.splice(0)) err === undefined ? w.resolve() : w.reject(err);
    if (this.queue.count === 0) for (const waiter of [...this.emptyWaiters]) waiter();
  }

  // ------------------------------------------------------------------ sending

  private clearWait(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }

  private waitThenPump(delayMs: number): void {
    if (this.waitTimer !== undefined) return;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      this.pump();
    }, delayMs);
    this.waitTimer.unref();
  }

  /** One pump at a time: messages are handed to the sender strictly in queue order. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async pumpLoop(): Promise<void> {
    while (
      this.sender !== undefined &&
      !this.paused &&
      this.waitTimer === undefined &&
      this.inFlight < this.limits.maxInFlight
    ) {
      const entry = this.queue.nextToSend();
      if (entry === undefined) return;
      const waitMs = this.pacer.reserve(entry.bytes);
      if (waitMs > 0) {
        this.waitThenPump(waitMs);
        return;
      }
      entry.inFlight = true;
      this.inFlight += 1;
      const file = join(this.dir, entry.name);
      let message: OutboxMessage;
      try {
        message = decodeOutboxFile(entry.seq, await readFile(file));
      } catch (err) {
        if (entry.removed) continue; // dropped meanwhile
        this.logger.error('outbox: unreadable message moved aside', {
          file,
          error: errorMessage(err),
        });
        this.remove(entry, new OutboxError(`queued message unreadable: ${errorMessage(err)}`));
        await rename(file, `${file}${CORRUPT_SUFFIX}`).catch(() => undefined);
        continue;
      }
      const send = this.sender;
      if (entry.removed) continue;
      if (send === undefined) {
        entry.inFlight = false;
        this.inFlight -= 1;
        return;
      }
      let sending: Promise<void>;
      try {
        sending = send(message);
      } catch (err) {
        sending = Promise.reject(err);
      }
      sending.then(
        () => this.onAcknowledged(entry),
        (err: unknown) => this.onSendFailed(entry, err),
      );
    }
  }

  private async onAcknowledged(entry: QueuedEntry): Promise<void> {
    if (entry.removed) return; // dropped while in flight
    await unlinkQuietly(join(this.dir, entry.name)).catch((err) =>
      this.logger.error('outbox: cannot delete delivered message', {
        file: entry.name,
        error: errorMessage(err),
      }),
    );
    this.remove(entry);
    this.pump();
  }

  private onSendFailed(entry: QueuedEntry, err: unknown): void {
    if (entry.removed) return;
    entry.inFlight = false;
    this.inFlight -= 1;
    this.pauseAfterFailure(entry, err);
  }

  private pauseAfterFailure(entry: QueuedEntry, err: unknown): void {
    if (this.paused) return;
    this.paused = true;
    this.logger.debug('outbox: send failed; will retry', { seq: entry.seq, error: errorMessage(err) });
    if (this.sender === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.paused = false;
      this.pump();
    }, this.limits.retryAfterMs ?? 5_000);
    this.retryTimer.unref();
  }
}
