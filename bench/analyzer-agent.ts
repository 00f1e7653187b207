/**
 * What the analyzer costs the machine it runs on: the real Linux source (procfs, and logind
 * session files, here three written to a temporary folder because this machine has no logind:
 * processes are then grouped by the sessions' users), the runtime, batching and encoding, for a
 * number of 15-second ticks run back to back with the clock advanced. CPU time per tick divided by
 * the interval is the share of one core the analyzer takes.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessTable, statFields } from '#agent/analyzer/linux/procfs.ts';
import { LinuxAnalyzerSource } from '#agent/analyzer/linux/source.ts';
import { AnalyzerRuntime } from '#agent/analyzer/runtime.ts';
import { FileSessionSequences } from '#agent/analyzer/session-sequences.ts';

export interface AnalyzerAgentOptions {
  sessions: number;
  ticks: number;
  sampleIntervalSec: number;
  uploadIntervalSec: number;
}

export interface AnalyzerAgentResult {
  options: AnalyzerAgentOptions;
  processes: number;
  cpuMsPerTick: number;
  /** cpuMsPerTick ÷ the sample interval: the average share of one core. */
  pctOfOneCore: number;
  batches: number;
  target: { pctMax: number; met: boolean };
}

const TARGET_PCT = 0.5;

export async function runAnalyzerAgentBench(options: AnalyzerAgentOptions): Promise<AnalyzerAgentResult> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-logind-'));
  try {
    // Users of this machine's processes: root and whoever else runs something.
    const uids = [...new Set(new ProcessTable().read().map((p) => p.uid))].slice(0, options.sessions);
    for (let i = 0; i < options.sessions; i++) {
      const uid = uids[i % uids.length] ?? 0;
      await writeFile(
        join(dir, String(i + 1)),
        `UID=${uid}\nUSER=user${i}\nCLASS=user\nSTATE=active\nREALTIME=${Date.now() * 1000}\n`,
      );
    }
    let clock = Date.now();
    let batches = 0;
    const runtime = new AnalyzerRuntime({
      source: new LinuxAnalyzerSource(dir),
      publish: async () => {
        batches++;
      },
      sequences: FileSessionSequences.inMemory(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      intervals: () => options,
      now: () => clock,
    });
    await runtime.tick(); // primes the counters and the process table
    const cpu0 = process.cpuUsage();
    const children0 = childrenCpuMs();
    for (let i = 0; i < options.ticks; i++) {
      clock += options.sampleIntervalSec * 1000;
      await runtime.tick();
    }
    const cpu = process.cpuUsage(cpu0);
    // loginctl, where the machine has it, runs as a child process: its CPU counts too.
    const cpuMsPerTick = ((cpu.user + cpu.system) / 1000 + childrenCpuMs() - children0) / options.ticks;
    const pctOfOneCore = (cpuMsPerTick / (options.sampleIntervalSec * 1000)) * 100;
    return {
      options,
      processes: new ProcessTable().read().length,
      cpuMsPerTick: Math.round(cpuMsPerTick * 100) / 100,
      pctOfOneCore: Math.round(pctOfOneCore * 1000) / 1000,
      batches,
      target: { pctMax: TARGET_PCT, met: pctOfOneCore <= TARGET_PCT },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** CPU of waited-for children (cutime + cstime, fields 16 and 17 of /proc/self/stat), in ms. */
function childrenCpuMs(): number {
  const stat = statFields(readFileSync('/proc/self/stat', 'utf8'));
  return stat === undefined ? 0 : ((stat.field(16) || 0) + (stat.field(17) || 0)) * 10;
}

export function formatAnalyzerAgentTable(r: AnalyzerAgentResult): string {
  const o = r.options;
  return [
    `analyzer on the agent: real procfs source, ${o.sessions} sessions, ${o.ticks} ticks of ${o.sampleIntervalSec} s (${r.processes} processes on this machine), ${r.batches} batches`,
    `CPU per tick ${r.cpuMsPerTick} ms → ${r.pctOfOneCore} % of one core on average (target ≤ ${r.target.pctMax} %) → ${r.target.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}
