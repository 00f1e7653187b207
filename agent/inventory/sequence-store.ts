/**
 * Report sequence numbers that survive agent restarts. The file is written and fsync'd BEFORE a
 * report carrying the new sequence is published, so a crash can skip a number but never reuse one.
 * The epoch is a random id minted with the store: a reinstalled agent (or a lost/corrupt file)
 * starts a new epoch at 1, which the cloud accepts as a new base on the next full report.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeFileDurably } from '../durable-file.ts';

const SEQUENCE_FILE = 'inventory-sequence.json';

const StoredSequenceSchema = z.object({
  epoch: z.string().min(1).max(64),
  seq: z.number().int().nonnegative(),
});

/** What the report builder needs: the current epoch and a way to take the next sequence. */
export interface SequenceSource {
  readonly epoch: string;
  /** The last sequence handed out (0 before the first report of an epoch). */
  readonly current: number;
  /** Persists and returns the next sequence. */
  next(): number;
  /** Makes the next sequence greater than `seq` (the cloud holds a newer one than we remember). */
  advancePast(seq: number): void;
}

export class FileSequenceStore implements SequenceSource {
  private constructor(
    private readonly path: string,
    readonly epoch: string,
    private seq: number,
  ) {}

  /** Opens the store in `dataDir`, creating a new epoch when there is none (or it is unreadable). */
  static open(dataDir: string, newEpoch: () => string = randomUUID): FileSequenceStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, SEQUENCE_FILE);
    const stored = readStored(path);
    if (stored !== undefined) return new FileSequenceStore(path, stored.epoch, stored.seq);
    const store = new FileSequenceStore(path, newEpoch(), 0);
    store.persist();
    return store;
  }

  get current(): number {
    return this.seq;
  }

  next(): number {
    this.seq += 1;
    this.persist();
    return this.seq;
  }

  advancePast(seq: number): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    this.persist();
  }

  private persist(): void {
    writeFileDurably(this.path, JSON.stringify({ epoch: this.epoch, seq: this.seq }));
  }
}

function readStored(path: string): z.infer<typeof StoredSequenceSchema> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = StoredSequenceSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** In-memory sequence source for simulations and tests. */
export class MemorySequenceStore implements SequenceSource {
  constructor(
    readonly epoch: string = randomUUID(),
    private seq = 0,
  ) {}
  get current(): number {
    return this.seq;
  }
  next(): number {
    this.seq += 1;
    return this.seq;
  }
  advancePast(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }
}
