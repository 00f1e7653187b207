/**
 * Store and forward: QoS 1 messages wait here, on disk, until the broker acknowledges them.
 *
 * One file per message under `<dataDir>/outbox/`, named by a monotonic sequence so the folder
 * lists in send order. A file is written to a temp name, fsync'd, then renamed: after a crash a
 * message is either fully queued or absent, never half. It is deleted only after the PUBACK, so
 * delivery is at-least-once (the cloud side is idempotent). Bounded by count and bytes; when full,
 * the oldest message goes first, and that is logged.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import { errorMessage } from './logger.ts';
import type { AgentLogger } from './module.ts';

export interface OutboxMessage {
  readonly seq: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly enqueuedAt: number;
}

/** Sends one message on the live connection; resolves on the broker's acknowledgement. */
export type OutboxSender = (message: OutboxMessage) => Promise<void>;

export interface Outbox {
  /** Durably queues a message; resolves once the broker acknowledged it. */
  enqueue(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** Durably queues a message; resolves once it is on disk. `delivered` settles on acknowledgement. */
  put(topic: string, payload: Buffer, qos: 0 | 1): Promise<{ readonly delivered: Promise<void> }>;
  /** Starts sending queued messages, oldest first, through `send` (call on connect). */
  attach(send: OutboxSender): void;
  /** Stops sending (call on disconnect); unacknowledged messages stay queued. */
  detach(): void;
  /** Resolves true once nothing is queued, false if `timeoutMs` passes first. */
  flush(timeoutMs: number): Promise<boolean>;
  stats(): { readonly count: number; readonly bytes: number };
  /** Detaches and releases waiters; queued messages stay on disk for the next start. */
  close(): Promise<void>;
}

export interface OutboxLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly maxInFlight: number;
  /** Pause after a failed send while still attached. @default 5_000 */
  readonly retryAfterMs?: number;
}

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
}

const MAGIC = Buffer.from('FPOB1', 'ascii');
const SUFFIX = '.msg';
const TMP_SUFFIX = '.tmp';
const NAME_DIGITS = 16;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Entry {
  readonly seq: number;
  readonly file: string;
  readonly bytes: number;
  inFlight: boolean;
  readonly waiters: Waiter[];
}

interface Header {
  topic: string;
  qos: 0 | 1;
  enqueuedAt: number;
}

export function encodeOutboxFile(header: Header, payload: Buffer): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([MAGIC, len, head, payload]);
}

export function decodeOutboxFile(seq: number, data: Buffer): OutboxMessage {
  if (data.length < MAGIC.length + 4 || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new OutboxError('not an outbox file (bad magic)');
  }
  const len = data.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + len > data.length) throw new OutboxError('truncated header');
  const header = JSON.parse(data.subarray(start, start + len).toString('utf8')) as Partial<Header>;
  if (typeof header.topic !== 'string' || (header.qos !== 0 && header.qos !== 1)) {
    throw new OutboxError('header lacks topic or qos');
  }
  return {
    seq,
    topic: header.topic,
    qos: header.qos,
    enqueuedAt: typeof header.enqueuedAt === 'number' ? header.enqueuedAt : 0,
    payload: data.subarray(start + len),
  };
}

const fileName = (seq: number) => `${String(seq).padStart(NAME_DIGITS, '0')}${SUFFIX}`;

async function writeDurably(dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `${name}${TMP_SUFFIX}`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/** Makes the rename itself durable. Directories cannot be opened on Windows: best effort. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export class DiskOutbox implements Outbox {
  private readonly entries: Entry[] = [];
  private bytes = 0;
  private nextSeq: number;
  private writeChain: Promise<void> = Promise.resolve();
  private sender: OutboxSender | undefined;
  private inFlight = 0;
  private pumping = false;
  private pumpAgain = false;
  private paused = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly emptyWaiters = new Set<() => void>();

  private constructor(
    private readonly dir: string,
    private readonly limits: OutboxLimits,
    private readonly logger: AgentLogger,
    existing: Entry[],
  ) {
    this.entries.push(...existing);
    this.bytes = existing.reduce((sum, e) => sum + e.bytes, 0);
    this.nextSeq = (existing.at(-1)?.seq ?? 0) + 1;
  }

  /** Opens (creating if needed) the outbox in `dir`, picking up what a previous run left. */
  static async open(dir: string, limits: OutboxLimits, logger: AgentLogger): Promise<DiskOutbox> {
    await mkdir(dir, { recursive: true });
    const existing: Entry[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const file = join(dir, name);
      if (name.endsWith(TMP_SUFFIX)) {
        // A write the previous run did not finish: the caller was never told it was queued.
        await unlinkQuietly(file);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const seq = Number(name.slice(0, -SUFFIX.length));
      if (!Number.isSafeInteger(seq)) continue;
      const { size } = await stat(file);
      existing.push({ seq, file, bytes: size, inFlight: false, waiters: [] });
    }
    const outbox = new DiskOutbox(dir, limits, logger, existing);
    if (existing.length > 0) {
      logger.info('outbox: messages left from a previous run', {
        count: existing.length,
        bytes: outbox.bytes,
      });
    }
    return outbox;
  }

  stats(): { count: number; bytes: number } {
    return { count: this.entries.length, bytes: this.bytes };
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
    const seq = this.nextSeq++;
    const data = encodeOutboxFile({ topic, qos, enqueuedAt: Date.now() }, payload);
    if (data.length > this.limits.maxBytes) {
      return Promise.reject(new OutboxError(`message of ${data.length} bytes exceeds the outbox bound`));
    }
    const name = fileName(seq);
    // Writes are chained so entries join the queue in sequence order.
    const written = this.writeChain.then(async () => {
      await writeDurably(this.dir, name, data);
      this.makeRoomFor(data.length);
      const waiters: Waiter[] = [];
      const delivered = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      // The caller may ignore `delivered`; an eviction must not become an unhandled rejection.
      delivered.catch(() => undefined);
      this.entries.push({ seq, file: join(this.dir, name), bytes: data.length, inFlight: false, waiters });
      this.bytes += data.length;
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
    this.pump();
  }

  detach(): void {
    this.sender = undefined;
    clearTimeout(this.retryTimer);
  }

  flush(timeoutMs: number): Promise<boolean> {
    if (this.entries.length === 0) return Promise.resolve(true);
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
    for (const entry of this.entries) for (const w of entry.waiters.splice(0)) w.reject(err);
    for (const waiter of [...this.emptyWaiters]) waiter();
  }

  private makeRoomFor(bytes: number): void {
    while (
      this.entries.length > 0 &&
      (this.entries.length + 1 > this.limits.maxMessages || this.bytes + bytes > this.limits.maxBytes)
    ) {
      const oldest = this.entries[0];
      if (oldest === undefined) break;
      this.logger.warn('outbox full: dropping the oldest queued message', {
        seq: oldest.seq,
        bytes: oldest.bytes,
        queued: this.entries.length,
        queuedBytes: this.bytes,
      });
      this.remove(oldest, new OutboxError('evicted from the full outbox before delivery'));
      void unlinkQuietly(oldest.file).catch((err) =>
        this.logger.error('outbox: cannot delete evicted message', {
          file: oldest.file,
          error: errorMessage(err),
        }),
      );
    }
  }

  private remove(entry: Entry, err?: Error): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.bytes -= entry.bytes;
    if (entry.inFlight) this.inFlight -= 1;
    for (const w of entry.waiters.splice(0)) err === undefined ? w.resolve() : w.reject(err);
    if (this.entries.length === 0) for (const waiter of [...this.emptyWaiters]) waiter();
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
    while (this.sender !== undefined && !this.paused && this.inFlight < this.limits.maxInFlight) {
      const entry = this.entries.find((e) => !e.inFlight);
      if (entry === undefined) return;
      entry.inFlight = true;
      this.inFlight += 1;
      let message: OutboxMessage;
      try {
        message = decodeOutboxFile(entry.seq, await readFile(entry.file));
      } catch (err) {
        if (!this.entries.includes(entry)) continue; // evicted meanwhile
        this.logger.error('outbox: unreadable message dropped', {
          file: entry.file,
          error: errorMessage(err),
        });
        this.remove(entry, new OutboxError(`queued message unreadable: ${errorMessage(err)}`));
        await rename(entry.file, `${entry.file}.corrupt`).catch(() => undefined);
        continue;
      }
      const send = this.sender;
      if (!this.entries.includes(entry)) continue;
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

  private async onAcknowledged(entry: Entry): Promise<void> {
    if (!this.entries.includes(entry)) return; // evicted while in flight
    await unlinkQuietly(entry.file).catch((err) =>
      this.logger.error('outbox: cannot delete delivered message', {
        file: entry.file,
        error: errorMessage(err),
      }),
    );
    this.remove(entry);
    this.pump();
  }

  private onSendFailed(entry: Entry, err: unknown): void {
    if (!this.entries.includes(entry)) return;
    entry.inFlight = false;
    this.inFlight -= 1;
    this.pauseAfterFailure(entry, err);
  }

  private pauseAfterFailure(entry: Entry, err: unknown): void {
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
