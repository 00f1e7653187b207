/**
 * What the outbox's bounds have cost since the agent was installed: cumulative, persisted next to
 * the queued messages (a durable write per change), reported in every heartbeat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeFileDurably } from '../durable-file.ts';

export const COUNTERS_FILE = 'counters.json';

const CountersSchema = z.object({
  analyzerBatchesDropped: z.number().int().nonnegative(),
  inventoryCollapses: z.number().int().nonnegative(),
});
export type OutboxCounters = z.infer<typeof CountersSchema>;

/**
 * Reads the counters; a missing file starts at zero, and so does an unreadable one (the counters
 * are a report, not state anything depends on) - `problem` says why, for the log.
 */
export function readCounters(dir: string): { counters: OutboxCounters; problem?: string } {
  const zero = { analyzerBatchesDropped: 0, inventoryCollapses: 0 };
  let text: string;
  try {
    text = readFileSync(join(dir, COUNTERS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { counters: zero };
    return { counters: zero, problem: (err as Error).message };
  }
  try {
    return { counters: CountersSchema.parse(JSON.parse(text)) };
  } catch (err) {
    return { counters: zero, problem: `counters file unreadable: ${(err as Error).message}` };
  }
}

export function writeCounters(dir: string, counters: OutboxCounters): void {
  writeFileDurably(join(dir, COUNTERS_FILE), JSON.stringify(counters));
}
