/**
 * Rows ⇄ wire form of an analyzer batch (see analyzer.ts). Encoding quantises (the decoded batch
 * equals the sampled one to a tenth of a percent, a megabyte, a second and a KB/s); decoding
 * refuses values outside their ranges with the path of the first one, so a batch that decodes is
 * one the summaries and the query tables can take as is.
 */
import {
  ANALYZER_RANGES,
  ANALYZER_SCHEMA,
  type AnalyzerBatch,
  type AnalyzerSample,
  type AnalyzerWireBatch,
  type AppSample,
  PERMILLE_PER_PCT,
  stateCode,
  stateOf,
} from './analyzer.ts';

export class AnalyzerDecodeError extends Error {
  override readonly name = 'AnalyzerDecodeError';
}

const deltas = (values: readonly number[]): number[] =>
  values.map((v, i) => (i === 0 ? v : v - (values[i - 1] ?? 0)));

function sums(series: readonly number[], path: string, range: { min: number; max: number }): number[] {
  let value = 0;
  return series.map((d, i) => {
    value = i === 0 ? d : value + d;
    if (value < range.min || value > range.max) {
      throw new AnalyzerDecodeError(`${path}[${i}]: ${value} is outside ${range.min}..${range.max}`);
    }
    return value;
  });
}

const permille = (pct: number) => Math.round(pct * PERMILLE_PER_PCT);
const pctOf = (value: number) => value / PERMILLE_PER_PCT;

export function encodeAnalyzerBatch(batch: AnalyzerBatch): AnalyzerWireBatch {
  const { samples } = batch;
  const seconds = samples.map((s) => Math.round(s.t / 1000));
  const names = [...new Set(samples.flatMap((s) => s.apps.map((a) => a.app)))].sort();
  const bySample = samples.map((s) => new Map(s.apps.map((a) => [a.app, a])));
  const column = (name: string, value: (a: AppSample) => number) =>
    bySample.map((apps) => {
      const app = apps.get(name);
      return app === undefined ? 0 : value(app);
    });
  return {
    schema: ANALYZER_SCHEMA,
    sessionId: batch.sessionId,
    user: batch.user,
    seq: batch.seq,
    intervalSec: batch.intervalSec,
    final: batch.final,
    t0: seconds[0] ?? 0,
    dt: deltas(seconds).map((d, i) => (i === 0 ? 0 : d)),
    states: samples.map((s) => stateCode(s.state)).join(''),
    cpu: deltas(samples.map((s) => permille(s.cpuPct))),
    mem: deltas(samples.map((s) => permille(s.memPct))),
    disk: deltas(samples.map((s) => Math.round(s.diskKBps))),
    rx: deltas(samples.map((s) => Math.round(s.netRxKBps))),
    tx: deltas(samples.map((s) => Math.round(s.netTxKBps))),
    apps: names.map((name) => ({
      name,
      procs: deltas(column(name, (a) => a.procs)),
      cpu: deltas(column(name, (a) => permille(a.cpuPct))),
      mem: deltas(column(name, (a) => Math.round(a.memMb))),
      focus: column(name, (a) => Math.round(a.focusSec)),
    })),
  };
}

/** The rows of a wire batch that passed AnalyzerWireBatchSchema (equal column lengths). */
export function decodeAnalyzerBatch(wire: AnalyzerWireBatch): AnalyzerBatch {
  const { pct, rate, procs, memMb } = ANALYZER_RANGES;
  const n = wire.dt.length;
  let t = wire.t0;
  const times = wire.dt.map((d, i) => {
    if (i > 0 && d <= 0)
      throw new AnalyzerDecodeError(`dt[${i}]: samples must move forward in time (got ${d})`);
    t += i === 0 ? 0 : d;
    return t * 1000;
  });
  const cpu = sums(wire.cpu, 'cpu', pct);
  const mem = sums(wire.mem, 'mem', pct);
  const disk = sums(wire.disk, 'disk', rate);
  const rx = sums(wire.rx, 'rx', rate);
  const tx = sums(wire.tx, 'tx', rate);
  const apps = wire.apps.map((app, i) => ({
    name: app.name,
    procs: sums(app.procs, `apps[${i}].procs`, procs),
    cpu: sums(app.cpu, `apps[${i}].cpu`, pct),
    mem: sums(app.mem, `apps[${i}].mem`, memMb),
    focus: app.focus.map((f, j) => {
      if (f < 0 || f > wire.intervalSec * 2)
        throw new AnalyzerDecodeError(`apps[${i}].focus[${j}]: ${f} s is outside 0..${wire.intervalSec * 2}`);
      return f;
    }),
  }));
  const samples: AnalyzerSample[] = [];
  for (let i = 0; i < n; i++) {
    const state = stateOf(wire.states[i] ?? '');
    if (state === undefined) throw new AnalyzerDecodeError(`states[${i}]: unknown state`);
    samples.push({
      t: times[i] ?? 0,
      state,
      cpuPct: pctOf(cpu[i] ?? 0),
      memPct: pctOf(mem[i] ?? 0),
      diskKBps: disk[i] ?? 0,
      netRxKBps: rx[i] ?? 0,
      netTxKBps: tx[i] ?? 0,
      apps: apps
        .filter((a) => (a.procs[i] ?? 0) > 0)
        .map((a) => ({
          app: a.name,
          procs: a.procs[i] ?? 0,
          cpuPct: pctOf(a.cpu[i] ?? 0),
          memMb: a.mem[i] ?? 0,
          focusSec: a.focus[i] ?? 0,
        })),
    });
  }
  return {
    sessionId: wire.sessionId,
    user: wire.user,
    seq: wire.seq,
    intervalSec: wire.intervalSec,
    final: wire.final,
    samples,
  };
}
