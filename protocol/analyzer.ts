/**
 * Analyzer batches: one analyzer per interactive user session samples every `intervalSec` and
 * uploads one framed (compressed) batch per upload interval on dt/fleet/{id}/analyzer/{sessionId}.
 *
 * Two forms of the same batch:
 * - rows (`AnalyzerBatch`): what the agent samples and what the cloud summarises and queries;
 * - the wire form (`AnalyzerWireBatch`): columnar, app names once per batch, values quantised to
 *   what a question about usage needs, every series delta-coded so that a steady value is a run of
 *   zeros, which the frame's compression then all but removes. analyzer-codec.ts converts.
 */
import * as z from 'zod';
import { SessionIdSchema } from './ids.ts';

export const ANALYZER_SCHEMA = 2;

export const SESSION_STATES = ['active', 'idle', 'locked', 'disconnected'] as const;
export const SessionStateSchema = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof SessionStateSchema>;

/** One app (the session user's processes of one executable) in one sample. */
export interface AppSample {
  /** Executable or app id ("chrome.exe", "org.mozilla.firefox"). */
  readonly app: string;
  /** Processes of that executable. */
  readonly procs: number;
  /** Share of the whole machine's CPU over the interval, 0–100. */
  readonly cpuPct: number;
  /** Resident memory of those processes. */
  readonly memMb: number;
  /** Seconds it had the foreground in the interval (0 where the OS does not say). */
  readonly focusSec: number;
}

export interface AnalyzerSample {
  /** Epoch milliseconds at the end of the interval. */
  readonly t: number;
  readonly state: SessionState;
  /** Machine-wide CPU and memory use, 0–100. */
  readonly cpuPct: number;
  readonly memPct: number;
  /** Disk and network rates, kilobytes per second. */
  readonly diskKBps: number;
  readonly netRxKBps: number;
  readonly netTxKBps: number;
  /** Apps with at least one process in the interval. */
  readonly apps: readonly AppSample[];
}

export interface AnalyzerBatch {
  readonly sessionId: string;
  readonly user: string;
  /** Per-session batch counter from 1: with the session id it names the batch (redelivery). */
  readonly seq: number;
  readonly intervalSec: number;
  /** Set on the session's last batch (logoff, or the agent stopping). */
  readonly final: boolean;
  readonly samples: readonly AnalyzerSample[];
}

/** Wire quantisation: CPU and memory in tenths of a percent, memory per app in MB, rates in KB/s. */
export const PERMILLE_PER_PCT = 10;

/** Bounds of one batch: a day of 15-second samples, and what a terminal server's session runs. */
export const MAX_SAMPLES = 5_760;
export const MAX_APPS = 512;
const MAX_RATE_KBPS = 100_000_000;
const MAX_MEM_MB = 16_777_216;

const Int = z.number().int();
const Series = z.array(Int).max(MAX_SAMPLES);
const STATE_CODES = 'aild';
export const stateCode = (state: SessionState): string => STATE_CODES[SESSION_STATES.indexOf(state)] ?? 'a';
export const stateOf = (code: string): SessionState | undefined =>
  SESSION_STATES[STATE_CODES.indexOf(code)] ?? undefined;

/** One app's series, each `n` long. */
export const WireAppSchema = z.object({
  name: z.string().min(1).max(256),
  /** Process count, delta-coded. */
  procs: Series,
  /** CPU in tenths of a percent, delta-coded. */
  cpu: Series,
  /** Memory in MB, delta-coded. */
  mem: Series,
  /** Focus seconds, as is (mostly zero). */
  focus: Series,
});

export const AnalyzerWireBatchSchema = z
  .object({
    schema: z.literal(ANALYZER_SCHEMA),
    sessionId: SessionIdSchema,
    user: z.string().max(256),
    seq: Int.positive(),
    intervalSec: Int.min(1).max(3_600),
    final: z.boolean(),
    /** Epoch seconds of the first sample. */
    t0: Int.nonnegative(),
    /** Seconds since the previous sample (the first is 0), so a missed sample shows as a gap. */
    dt: Series,
    /** One character per sample: a(ctive), i(dle), l(ocked), d(isconnected). */
    states: z
      .string()
      .max(MAX_SAMPLES)
      .regex(/^[aild]*$/, 'states are one of a, i, l, d per sample'),
    /** Machine-wide series, delta-coded: CPU and memory in tenths of a percent, rates in KB/s. */
    cpu: Series,
    mem: Series,
    disk: Series,
    rx: Series,
    tx: Series,
    apps: z.array(WireAppSchema).max(MAX_APPS),
  })
  .superRefine((batch, ctx) => {
    const n = batch.dt.length;
    if (n === 0) ctx.addIssue({ code: 'custom', message: 'a batch has at least one sample', path: ['dt'] });
    const same = (length: number, path: (string | number)[]) => {
      if (length !== n)
        ctx.addIssue({ code: 'custom', message: `has ${length} values for ${n} samples`, path });
    };
    same(batch.states.length, ['states']);
    for (const key of ['cpu', 'mem', 'disk', 'rx', 'tx'] as const) same(batch[key].length, [key]);
    const names = new Set<string>();
    batch.apps.forEach((app, i) => {
      if (names.has(app.name))
        ctx.addIssue({ code: 'custom', message: 'app listed twice', path: ['apps', i] });
      names.add(app.name);
      for (const key of ['procs', 'cpu', 'mem', 'focus'] as const) same(app[key].length, ['apps', i, key]);
    });
  });
export type AnalyzerWireBatch = z.infer<typeof AnalyzerWireBatchSchema>;

/** Ranges the decoded values must fall in: a batch outside them is refused, not clamped. */
export const ANALYZER_RANGES = {
  pct: { min: 0, max: 100 * PERMILLE_PER_PCT },
  rate: { min: 0, max: MAX_RATE_KBPS },
  procs: { min: 0, max: 100_000 },
  memMb: { min: 0, max: MAX_MEM_MB },
} as const;
