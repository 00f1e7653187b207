/**
 * The outbox's queue in memory: one small record per message file, in send order, with what each
 * data class holds (count and bytes), so a class's bound is checked without a scan of the disk.
 */
import { DATA_CLASSES, type DataClass } from './classes.ts';

export interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export interface QueuedEntry {
  readonly seq: number;
  /** File name in the outbox folder. */
  readonly name: string;
  readonly bytes: number;
  readonly dataClass: DataClass;
  inFlight: boolean;
  removed: boolean;
  /** Callers waiting for the acknowledgement (none for what a previous run left). */
  readonly waiters: Waiter[];
}

export class MessageQueue {
  private readonly entries: QueuedEntry[] = [];
  private totalBytes = 0;
  private readonly perClass = new Map<DataClass, { count: number; bytes: number }>(
    DATA_CLASSES.map((c) => [c, { count: 0, bytes: 0 }]),
  );

  get count(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get lastSeq(): number {
    return this.entries.at(-1)?.seq ?? 0;
  }

  use(dataClass: DataClass): { count: number; bytes: number } {
    return this.perClass.get(dataClass) ?? { count: 0, bytes: 0 };
  }

  push(entry: QueuedEntry): void {
    this.entries.push(entry);
    this.totalBytes += entry.bytes;
    const use = this.use(entry.dataClass);
    this.perClass.set(entry.dataClass, { count: use.count + 1, bytes: use.bytes + entry.bytes });
  }

  /** Takes `entry` out; false when it was already out. */
  delete(entry: QueuedEntry): boolean {
    if (entry.removed) return false;
    const index = this.entries.indexOf(entry);
    if (index < 0) return false;
    entry.removed = true;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.bytes;
    const use = this.use(entry.dataClass);
    this.perClass.set(entry.dataClass, { count: use.count - 1, bytes: use.bytes - entry.bytes });
    return true;
  }

  /** The oldest message not yet handed to the sender. */
  nextToSend(): QueuedEntry | undefined {
    return this.entries.find((e) => !e.inFlight);
  }

  /** The oldest message of a class that is not in flight. */
  oldestWaiting(dataClass: DataClass): QueuedEntry | undefined {
    return this.entries.find((e) => e.dataClass === dataClass && !e.inFlight);
  }

  /** Every message of a class that is not in flight, oldest first. */
  allWaiting(dataClass: DataClass): QueuedEntry[] {
    return this.entries.filter((e) => e.dataClass === dataClass && !e.inFlight);
  }

  all(): readonly QueuedEntry[] {
    return this.entries;
  }
}
