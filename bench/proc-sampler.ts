/**
 * Reads a process's footprint from procfs as `top` does: resident memory (VmRSS) and CPU time
 * spent (utime + stime), and summarises a series of such readings.
 */
import { readFileSync } from 'node:fs';

export interface ProcReading {
  /** ms since the sampler started. */
  readonly atMs: number;
  readonly rssKiB: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
}

export function parseVmRssKiB(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(match[1]);
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15; the command name may hold spaces). */
export function parseCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state), so field N is at index N - 3.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc/<pid>/stat');
  return utime + stime;
}

export function readProc(pid: number, atMs: number, procRoot = '/proc'): ProcReading {
  return {
    atMs,
    rssKiB: parseVmRssKiB(readFileSync(`${procRoot}/${pid}/status`, 'utf8')),
    cpuTicks: parseCpuTicks(readFileSync(`${procRoot}/${pid}/stat`, 'utf8')),
  };
}

export interface FootprintSummary {
  readonly samples: number;
  readonly seconds: number;
  readonly rssMedianMB: number;
  readonly rssMaxMB: number;
  /** Average CPU over the window, in % of one core. */
  readonly cpuPercent: number;
}

const MB = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

/** Median and max RSS and average CPU of the readings from `fromMs` on. */
export function summarize(
  readings: readonly ProcReading[],
  fromMs: number,
  clockTicks = 100,
): FootprintSummary {
  const window = readings.filter((r) => r.atMs >= fromMs);
  const first = window[0];
  const last = window[window.length - 1];
  if (first === undefined || last === undefined || last.atMs <= first.atMs)
    throw new Error('not enough readings after the warm-up');
  const rss = window.map((r) => r.rssKiB).sort((a, b) => a - b);
  const seconds = (last.atMs - first.atMs) / 1000;
  const cpuSeconds = (last.cpuTicks - first.cpuTicks) / clockTicks;
  return {
    samples: window.length,
    seconds: Math.round(seconds),
    rssMedianMB: MB(rss[Math.floor(rss.length / 2)] ?? 0),
    rssMaxMB: MB(rss[rss.length - 1] ?? 0),
    cpuPercent: Math.round((cpuSeconds / seconds) * 100 * 100) / 100,
  };
}
