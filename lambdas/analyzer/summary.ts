/**
 * The per-session summary, folded one batch at a time (pure). Each batch is counted once: the
 * summary keeps the sequence numbers it has (as ranges), so a redelivered batch is recognised and
 * leaves it unchanged, and a batch that never came shows as missing.
 */
import type { AnalyzerBatch, SessionState } from '#protocol/analyzer.ts';

/** Apps kept per summary; past this the smallest are folded into one "(other)" entry. */
export const MAX_SUMMARY_APPS = 48;
export const OTHER_APPS = '(other)';
export const TOP_APPS = 5;

export interface AppTotals {
  /** Seconds in the foreground. */
  focusSec: number;
  /** CPU used, in percent-of-machine × seconds (÷ duration gives the average share). */
  cpuPctSec: number;
}

export interface SessionSummary {
  readonly sessionId: string;
  user: string;
  /** Epoch ms of the first and last sample. */
  firstSeen: number;
  lastSeen: number;
  samples: number;
  /** Seconds per session state. */
  stateSec: Record<SessionState, number>;
  cpuPeakPct: number;
  cpuSumPct: number;
  memPeakPct: number;
  memSumPct: number;
  /** Batch sequence numbers received, as sorted, disjoint, non-adjacent [first, last] ranges. */
  received: [number, number][];
  /** Set once the session's final batch came. */
  ended: boolean;
  apps: Record<string, AppTotals>;
}

export type FoldResult =
  | { readonly outcome: 'counted'; readonly summary: SessionSummary }
  | { readonly outcome: 'duplicate' };

export function hasSeq(ranges: readonly [number, number][], seq: number): boolean {
  return ranges.some(([first, last]) => seq >= first && seq <= last);
}

/** Adds `seq` to the ranges, merging neighbours. */
export function addSeq(ranges: readonly [number, number][], seq: number): [number, number][] {
  const all = [...ranges.map(([a, b]) => [a, b] as [number, number]), [seq, seq] as [number, number]].sort(
    (x, y) => x[0] - y[0],
  );
  const merged: [number, number][] = [];
  for (const range of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/** Batches received and missing: a gap below the highest sequence received is a missing batch. */
export function batchCounts(ranges: readonly [number, number][]): { received: number; missing: number } {
  const received = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  const highest = ranges[ranges.length - 1]?.[1] ?? 0;
  return { received, missing: highest - received };
}

export function emptySummary(sessionId: string, user: string): SessionSummary {
  return {
    sessionId,
    user,
    firstSeen: Number.POSITIVE_INFINITY,
    lastSeen: 0,
    samples: 0,
    stateSec: { active: 0, idle: 0, locked: 0, disconnected: 0 },
    cpuPeakPct: 0,
    cpuSumPct: 0,
    memPeakPct: 0,
    memSumPct: 0,
    received: [],
    ended: false,
    apps: Object.create(null) as Record<string, AppTotals>,
  };
}

/** The summary with `batch` counted, or 'duplicate' when it already is. Does not change `previous`. */
export function foldBatch(previous: SessionSummary | undefined, batch: AnalyzerBatch): FoldResult {
  if (previous !== undefined && hasSeq(previous.received, batch.seq)) return { outcome: 'duplicate' };
  const base = previous ?? emptySummary(batch.sessionId, batch.user);
  const summary: SessionSummary = {
    ...base,
    stateSec: { ...base.stateSec },
    apps: copyApps(base.apps),
    received: addSeq(base.received, batch.seq),
    ended: base.ended || batch.final,
  };
  if (batch.user !== '') summary.user = batch.user;
  for (const sample of batch.samples) {
    summary.firstSeen = Math.min(summary.firstSeen, sample.t);
    summary.lastSeen = Math.max(summary.lastSeen, sample.t);
    summary.samples++;
    summary.stateSec[sample.state] += batch.intervalSec;
    summary.cpuPeakPct = Math.max(summary.cpuPeakPct, sample.cpuPct);
    summary.cpuSumPct += sample.cpuPct;
    summary.memPeakPct = Math.max(summary.memPeakPct, sample.memPct);
    summary.memSumPct += sample.memPct;
    for (const app of sample.apps) {
      let totals = summary.apps[app.app];
      if (totals === undefined) {
        totals = { focusSec: 0, cpuPctSec: 0 };
        summary.apps[app.app] = totals;
      }
      totals.focusSec += app.focusSec;
      totals.cpuPctSec += app.cpuPct * batch.intervalSec;
    }
  }
  summary.apps = capApps(summary.apps);
  return { outcome: 'counted', summary };
}

/** A copy with null prototype: app names are data (`__proto__` is an app like any other). */
function copyApps(apps: Record<string, AppTotals>): Record<string, AppTotals> {
  const copy = Object.create(null) as Record<string, AppTotals>;
  for (const [name, totals] of Object.entries(apps)) copy[name] = { ...totals };
  return copy;
}

/** Keeps the apps that matter most (by focus, then CPU); the rest add up under "(other)". */
function capApps(apps: Record<string, AppTotals>): Record<string, AppTotals> {
  const names = Object.keys(apps).filter((n) => n !== OTHER_APPS);
  if (names.length <= MAX_SUMMARY_APPS) return apps;
  const weight = (n: string) => (apps[n]?.focusSec ?? 0) * 1e6 + (apps[n]?.cpuPctSec ?? 0);
  names.sort((a, b) => weight(b) - weight(a));
  const kept = Object.create(null) as Record<string, AppTotals>;
  const other = { ...(apps[OTHER_APPS] ?? { focusSec: 0, cpuPctSec: 0 }) };
  names.forEach((name, i) => {
    const totals = apps[name] ?? { focusSec: 0, cpuPctSec: 0 };
    if (i < MAX_SUMMARY_APPS - 1) kept[name] = totals;
    else {
      other.focusSec += totals.focusSec;
      other.cpuPctSec += totals.cpuPctSec;
    }
  });
  kept[OTHER_APPS] = other;
  return kept;
}

/** What the API shows: averages, state shares, top apps, batch counts. */
export function presentSummary(s: SessionSummary) {
  const apps = Object.entries(s.apps).filter(([name]) => name !== OTHER_APPS);
  const top = (key: keyof AppTotals) =>
    apps
      .filter(([, t]) => t[key] > 0)
      .sort((a, b) => b[1][key] - a[1][key])
      .slice(0, TOP_APPS);
  const durationSec = Object.values(s.stateSec).reduce((a, b) => a + b, 0);
  return {
    sessionId: s.sessionId,
    user: s.user,
    firstSeen: new Date(s.firstSeen).toISOString(),
    lastSeen: new Date(s.lastSeen).toISOString(),
    ended: s.ended,
    stateSec: s.stateSec,
    cpu: { peakPct: s.cpuPeakPct, avgPct: s.samples ? round1(s.cpuSumPct / s.samples) : 0 },
    memory: { peakPct: s.memPeakPct, avgPct: s.samples ? round1(s.memSumPct / s.samples) : 0 },
    topAppsByFocus: top('focusSec').map(([app, t]) => ({ app, focusSec: Math.round(t.focusSec) })),
    topAppsByCpu: top('cpuPctSec').map(([app, t]) => ({
      app,
      avgCpuPct: durationSec ? round1(t.cpuPctSec / durationSec) : 0,
    })),
    batches: batchCounts(s.received),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
