/**
 * What the Linux analyzer reads from procfs, parsed (pure functions of the file text) and read
 * (one directory walk per sample, a few small reads per process, no exec). Counters are returned
 * raw; the sampler turns two readings into rates.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface ProcessReading {
  readonly pid: number;
  readonly uid: number;
  /** Executable name: the basename of /proc/pid/exe where readable, else the kernel's comm. */
  readonly name: string;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
  readonly rssBytes: number;
  /** The systemd-logind session whose scope holds the process, if any. */
  readonly sessionId: string | undefined;
  /** Kernel threads have no user-space memory and belong to no session. */
  readonly kernelThread: boolean;
}

export interface SystemReading {
  /** Busy and total jiffies over all CPUs since boot. */
  readonly cpuBusy: number;
  readonly cpuTotal: number;
  readonly memTotalKb: number;
  readonly memAvailableKb: number;
  /** Sectors (512 B) read and written by whole disks since boot. */
  readonly diskSectors: number;
  /** Bytes received and sent by every interface but loopback since boot. */
  readonly netRxBytes: number;
  readonly netTxBytes: number;
}

/**
 * A /proc/pid/stat line split after the `(comm)`, which may itself hold spaces and parentheses:
 * `field(n)` is field n as numbered in proc(5).
 */
export function statFields(text: string): { comm: string; field: (n: number) => number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // rest[0] is field 3 (state).
  const rest = text.slice(close + 2).split(' ');
  return { comm: text.slice(open + 1, close), field: (n) => Number(rest[n - 3]) };
}

/** What the sampler reads of a process: utime + stime (14, 15), flags (9), starttime (22), rss (24). */
export function parseStat(
  text: string,
): { comm: string; cpuTicks: number; rssPages: number; flags: number; startTicks: number } | undefined {
  const stat = statFields(text);
  if (stat === undefined) return undefined;
  const { comm, field } = stat;
  const cpuTicks = field(14) + field(15);
  if (!Number.isFinite(cpuTicks)) return undefined;
  return { comm, cpuTicks, rssPages: field(24) || 0, flags: field(9) || 0, startTicks: field(22) || 0 };
}

const PF_KTHREAD = 0x00200000;

/** The logind session of a process from its cgroup path (`…/session-3.scope`). */
export function parseCgroupSession(text: string): string | undefined {
  return /\/session-([A-Za-z0-9_-]+)\.scope\b/.exec(text)?.[1];
}

export function parseProcStat(text: string): { busy: number; total: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (line ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export function parseMeminfo(text: string): { totalKb: number; availableKb: number } {
  const value = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { totalKb: value('MemTotal'), availableKb: value('MemAvailable') };
}

/** Whole disks only: partitions, loop, ram and device-mapper devices would count bytes twice. */
export function parseDiskstats(text: string): number {
  let sectors = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (name === undefined || f.length < 10) continue;
    if (/^(loop|ram|dm-|zram|sr)/.test(name) || /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+)\d+$/.test(name))
      continue;
    if (/^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) continue;
    sectors += Number(f[5] ?? 0) + Number(f[9] ?? 0);
  }
  return sectors;
}

export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [name, counters] = line.split(':');
    if (counters === undefined || name === undefined || name.trim() === 'lo') continue;
    const f = counters.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

const readText = (path: string) => readFile(path, 'utf8').catch(() => undefined);

export async function readSystem(procRoot = '/proc'): Promise<SystemReading> {
  const [stat, meminfo, diskstats, netdev] = await Promise.all(
    ['stat', 'meminfo', 'diskstats', 'net/dev'].map((f) => readText(join(procRoot, f))),
  );
  const cpu = parseProcStat(stat ?? '');
  const mem = parseMeminfo(meminfo ?? '');
  const net = parseNetDev(netdev ?? '');
  return {
    cpuBusy: cpu.busy,
    cpuTotal: cpu.total,
    memTotalKb: mem.totalKb,
    memAvailableKb: mem.availableKb,
    diskSectors: parseDiskstats(diskstats ?? ''),
    netRxBytes: net.rx,
    netTxBytes: net.tx,
  };
}

interface Identity {
  readonly startTicks: number;
  readonly uid: number;
  readonly name: string;
  readonly sessionId: string | undefined;
}

/**
 * The processes, read cheaply enough to do every 15 s on a desktop with hundreds of them: per
 * process one read of /proc/pid/stat; owner, executable and session are read once per process
 * (a pid and its start time name one process) and remembered. Reads are synchronous: procfs
 * answers from memory, and a thread-pool round trip per file cost more than the read.
 */
export class ProcessTable {
  private identities = new Map<number, Identity>();

  constructor(
    private readonly procRoot = '/proc',
    private readonly pageSize = 4096,
  ) {}

  /** Every process readable now; one that exits mid-read is skipped. */
  read(): ProcessReading[] {
    const readings: ProcessReading[] = [];
    const seen = new Map<number, Identity>();
    for (const entry of readdirSync(this.procRoot)) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const dir = join(this.procRoot, entry);
      const parsed = parseStat(readSync(join(dir, 'stat')) ?? '');
      if (parsed === undefined) continue;
      let identity = this.identities.get(pid);
      if (identity === undefined || identity.startTicks !== parsed.startTicks) {
        identity = identify(dir, parsed.comm, parsed.startTicks);
        if (identity === undefined) continue;
      }
      seen.set(pid, identity);
      readings.push({
        pid,
        uid: identity.uid,
        name: identity.name,
        cpuTicks: parsed.cpuTicks,
        rssBytes: parsed.rssPages * this.pageSize,
        sessionId: identity.sessionId,
        kernelThread: (parsed.flags & PF_KTHREAD) !== 0,
      });
    }
    this.identities = seen;
    return readings;
  }
}

function readSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function identify(dir: string, comm: string, startTicks: number): Identity | undefined {
  let uid: number;
  try {
    uid = statSync(dir).uid;
  } catch {
    return undefined;
  }
  let name = comm;
  try {
    name = basename(readlinkSync(join(dir, 'exe')).replace(/ \(deleted\)$/, ''));
  } catch {
    // Kernel threads and other users' processes without the right: the kernel's comm it is.
  }
  const cgroup = readSync(join(dir, 'cgroup'));
  return { startTicks, uid, name, sessionId: cgroup === undefined ? undefined : parseCgroupSession(cgroup) };
}
