/** Hand-made analyzer samples and batches for tests that need exact, known values. */
import type { AnalyzerBatch, AnalyzerSample, AppSample } from '#protocol/analyzer.ts';

/** One sample at `t`: an active session with one app, every value overridable. */
export const analyzerSample = (t: number, over: Partial<AnalyzerSample> = {}): AnalyzerSample => ({
  t,
  state: 'active',
  cpuPct: 10,
  memPct: 40,
  diskKBps: 0,
  netRxKBps: 0,
  netTxKBps: 0,
  apps: [{ app: 'chrome.exe', procs: 12, cpuPct: 6, memMb: 900, focusSec: 15 }],
  ...over,
});

/** Batch `seq` of a session, 15 s samples. */
export const analyzerBatch = (
  sessionId: string,
  seq: number,
  samples: AnalyzerSample[],
  final = false,
): AnalyzerBatch => ({ sessionId, user: 'CORP\\ada', seq, intervalSec: 15, final, samples });

/** Batch `seq` with one sample at `seq` × 5 min holding `apps`: the shape the store tests fold. */
export const oneSampleBatch = (sessionId: string, seq: number, apps: AppSample[]): AnalyzerBatch =>
  analyzerBatch(sessionId, seq, [analyzerSample(seq * 300_000, { apps })]);
