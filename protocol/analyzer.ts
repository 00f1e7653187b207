/**
 * Analyzer batches: one analyzer per interactive user session samples every `sampleIntervalSec`
 * and uploads one framed (compressed) batch per `uploadIntervalSec` on dt/fleet/{id}/analyzer/{sessionId}.
 */
import { z } from 'zod';
import { SessionIdSchema } from './ids.ts';

const Pct = z.number().min(0).max(100);

export const AppUsageSchema = z.object({
  /** Executable or app id (e.g. "chrome.exe", "org.mozilla.firefox"). */
  app: z.string().min(1).max(256),
  cpuPct: Pct,
  memMb: z.number().nonnegative(),
  /** Seconds the app had the foreground during the sample interval. */
  focusSec: z.number().nonnegative().default(0),
});

export const AnalyzerSampleSchema = z.object({
  t: z.number().int().nonnegative(),
  sessionState: z.enum(['active', 'idle', 'locked', 'disconnected']),
  cpuPct: Pct,
  memPct: Pct,
  diskPct: Pct.optional(),
  diskIoKbps: z.number().nonnegative().optional(),
  netRxKbps: z.number().nonnegative(),
  netTxKbps: z.number().nonnegative(),
  apps: z.array(AppUsageSchema).max(64),
});

export const AnalyzerBatchSchema = z.object({
  schema: z.literal(1),
  sessionId: SessionIdSchema,
  user: z.string().max(256),
  /** Per-session batch counter: with the session id it makes the archive key deterministic. */
  batchSeq: z.number().int().nonnegative(),
  startedAt: z.number().int().nonnegative(),
  endedAt: z.number().int().nonnegative(),
  sampleIntervalSec: z.number().int().positive(),
  samples: z.array(AnalyzerSampleSchema).max(10_000),
});
export type AnalyzerBatch = z.infer<typeof AnalyzerBatchSchema>;
export type AnalyzerSample = z.infer<typeof AnalyzerSampleSchema>;
