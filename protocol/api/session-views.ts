/**
 * The sessions API's answers (lambdas/api/sessions.ts): a device's analyzer sessions, one session's
 * summary, its batches, and one batch's samples as rows.
 */
import * as z from 'zod';
import { SessionStateSchema } from '../analyzer.ts';
import { DeviceIdSchema, SessionIdSchema } from '../ids.ts';

const Count = z.number().int().nonnegative();
const IsoTime = z.iso.datetime();
const BatchCounts = z.object({
  received: Count,
  missing: Count.describe('Sequence numbers below the highest received that never came'),
});

export const SessionRowSchema = z.object({
  sessionId: SessionIdSchema,
  user: z.string(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  ended: z.boolean(),
  stateSec: z.record(SessionStateSchema, z.number().nonnegative()).describe('Seconds in each state'),
  batches: BatchCounts,
});

const Usage = z.object({ peakPct: z.number(), avgPct: z.number() });

export const SessionViewSchema = SessionRowSchema.extend({
  deviceId: DeviceIdSchema,
  cpu: Usage,
  memory: Usage,
  topAppsByFocus: z.array(z.object({ app: z.string(), focusSec: z.number() })),
  topAppsByCpu: z.array(z.object({ app: z.string(), avgCpuPct: z.number() })),
}).meta({ id: 'SessionSummary' });

export const BatchRowSchema = z.object({
  seq: z.number().int().positive(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  samples: Count,
});

const AppSampleSchema = z.object({
  app: z.string(),
  procs: z.number(),
  cpuPct: z.number(),
  memMb: z.number(),
  focusSec: z.number(),
});

/** protocol/analyzer.ts `AnalyzerBatch`, the rows a wire batch decodes to. */
export const AnalyzerBatchSchema = z.object({
  sessionId: SessionIdSchema,
  user: z.string(),
  seq: z.number().int().positive(),
  intervalSec: z.number().int().positive(),
  final: z.boolean(),
  samples: z.array(
    z.object({
      t: z.number().describe('Epoch ms at the end of the interval'),
      state: SessionStateSchema,
      cpuPct: z.number(),
      memPct: z.number(),
      diskKBps: z.number(),
      netRxKBps: z.number(),
      netTxKBps: z.number(),
      apps: z.array(AppSampleSchema),
    }),
  ),
});

export const BatchViewSchema = z
  .object({
    deviceId: DeviceIdSchema,
    sessionId: SessionIdSchema,
    seq: z.number().int().positive(),
    frameBytes: Count.describe('Size of the frame as the device sent it'),
    batch: AnalyzerBatchSchema,
  })
  .meta({ id: 'AnalyzerBatch' });

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass back as `cursor` for the next page; null on the last'),
  });
export const SessionPageSchema = page(SessionRowSchema);
export const BatchPageSchema = page(BatchRowSchema);
