/**
 * Batch sequence numbers per session that survive agent restarts: a batch's number is persisted
 * before the batch is queued, so a crash can skip a number but never reuse one (the cloud would
 * take the reuse for a redelivery and drop it). Sessions gone for a week are forgotten.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../durable-file.ts';

const FILE = 'analyzer-sequences.json';
const FORGET_AFTER_MS = 7 * 24 * 3600_000;

interface Entry {
  seq: number;
  /** Epoch ms the session was last given a number. */
  at: number;
}

export interface SessionSequences {
  /** Persists and returns the session's next batch number (from 1). */
  next(sessionId: string, now: number): number;
}

export class FileSessionSequences implements SessionSequences {
  private constructor(
    private readonly path: string | undefined,
    private readonly entries: Map<string, Entry>,
  ) {}

  static open(dataDir: string): FileSessionSequences {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, FILE);
    return new FileSessionSequences(path, readEntries(path));
  }

  /** Not persisted: for simulations and tests. */
  static inMemory(): FileSessionSequences {
    return new FileSessionSequences(undefined, new Map());
  }

  next(sessionId: string, now: number): number {
    const seq = (this.entries.get(sessionId)?.seq ?? 0) + 1;
    this.entries.set(sessionId, { seq, at: now });
    for (const [id, entry] of this.entries) if (now - entry.at > FORGET_AFTER_MS) this.entries.delete(id);
    if (this.path !== undefined)
      writeFileDurably(this.path, JSON.stringify(Object.fromEntries(this.entries)));
    return seq;
  }
}

function readEntries(path: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return entries;
  }
  if (parsed === null || typeof parsed !== 'object') return entries;
  for (const [id, value] of Object.entries(parsed)) {
    const { seq, at } = (value ?? {}) as Partial<Entry>;
    if (Number.isInteger(seq) && Number.isFinite(at))
      entries.set(id, { seq: seq as number, at: at as number });
  }
  return entries;
}
