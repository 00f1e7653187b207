/**
 * One analyzer sample per Linux user session from two procfs readings: the session's processes
 * (by logind scope, or by the session user where cgroups carry no session, as in containers)
 * grouped by executable, and the machine's CPU, memory, disk and network rates.
 *
 * Linux has no one answer to "which window has the focus" (X11, Wayland compositors and consoles
 * differ), so focus seconds are 0 here, as the protocol allows where the OS does not say.
 */
import { availableParallelism } from 'node:os';
import type { AnalyzerSample, AppSample } from '#protocol/analyzer.ts';
import type { LinuxSession } from './logind.ts';
import { type ProcessReading, ProcessTable, readSystem, type SystemReading } from './procfs.ts';

export interface LinuxSamplerOptions {
  readonly procRoot?: string;
  /** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on every mainstream kernel). */
  readonly clockTicks?: number;
  readonly cpus?: number;
}

interface Reading {
  readonly at: number;
  readonly system: SystemReading;
  readonly processes: ReadonlyMap<number, ProcessReading>;
}

const MB = 1024 * 1024;

export class LinuxSampler {
  private previous: Reading | undefined;
  private readonly procRoot: string;
  private readonly table: ProcessTable;
  private readonly clockTicks: number;
  private readonly cpus: number;

  constructor(options: LinuxSamplerOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.table = new ProcessTable(this.procRoot);
    this.clockTicks = options.clockTicks ?? 100;
    this.cpus = options.cpus ?? availableParallelism();
  }

  /**
   * A sample per session for the interval since the previous call (the first call only primes
   * the counters and returns nothing).
   */
  async sample(sessions: readonly LinuxSession[], at = Date.now()): Promise<Map<string, AnalyzerSample>> {
    const system = await readSystem(this.procRoot);
    const list = this.table.read();
    const current: Reading = { at, system, processes: new Map(list.map((p) => [p.pid, p])) };
    const before = this.previous;
    this.previous = current;
    const samples = new Map<string, AnalyzerSample>();
    if (before === undefined || at <= before.at) return samples;
    const seconds = (at - before.at) / 1000;
    const machine = machineRates(before.system, system, seconds);
    const scoped = list.some((p) => p.sessionId !== undefined);
    for (const session of sessions) {
      const mine = list.filter(
        (p) => !p.kernelThread && (scoped ? p.sessionId === session.id : p.uid === session.uid),
      );
      samples.set(session.id, {
        t: at,
        state: session.state,
        ...machine,
        apps: this.apps(mine, before.processes, seconds),
      });
    }
    return samples;
  }

  private apps(
    processes: readonly ProcessReading[],
    before: ReadonlyMap<number, ProcessReading>,
    seconds: number,
  ): AppSample[] {
    const byName = new Map<string, { procs: number; ticks: number; rss: number }>();
    for (const p of processes) {
      const app = byName.get(p.name) ?? { procs: 0, ticks: 0, rss: 0 };
      // A process that started during the interval counts from zero; a reused pid is a new process.
      const prior = before.get(p.pid);
      const start =
        prior !== undefined && prior.name === p.name && prior.cpuTicks <= p.cpuTicks ? prior.cpuTicks : 0;
      app.procs++;
      app.ticks += p.cpuTicks - start;
      app.rss += p.rssBytes;
      byName.set(p.name, app);
    }
    const capacity = seconds * this.clockTicks * this.cpus;
    return [...byName].map(([app, a]) => ({
      app,
      procs: a.procs,
      cpuPct: Math.min(100, (a.ticks / capacity) * 100),
      memMb: a.rss / MB,
      focusSec: 0,
    }));
  }
}

function machineRates(a: SystemReading, b: SystemReading, seconds: number) {
  const total = b.cpuTotal - a.cpuTotal;
  const rate = (x: number, y: number, scale: number) => Math.max(0, ((y - x) * scale) / 1024 / seconds);
  return {
    cpuPct: total > 0 ? Math.min(100, Math.max(0, ((b.cpuBusy - a.cpuBusy) / total) * 100)) : 0,
    memPct: b.memTotalKb > 0 ? ((b.memTotalKb - b.memAvailableKb) / b.memTotalKb) * 100 : 0,
    diskKBps: rate(a.diskSectors, b.diskSectors, 512),
    netRxKBps: rate(a.netRxBytes, b.netRxBytes, 1),
    netTxKBps: rate(a.netTxBytes, b.netTxBytes, 1),
  };
}
