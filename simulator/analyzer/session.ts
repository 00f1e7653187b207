/**
 * A simulated interactive user session, sampled like the real analyzer: the session's apps from
 * the catalogue (the shell and agents every session has, plus the handful the user works in), a
 * user who works, goes idle, locks the screen and comes back, opens and closes apps, switches the
 * foreground, joins calls (bursts of CPU and network). Deterministic for a seed.
 */
import type { AnalyzerSample, AppSample, SessionState } from '#protocol/analyzer.ts';
import { createRng, type Rng } from '../rng.ts';
import { type CatalogueApp, LINUX_APPS, LINUX_BASE, WINDOWS_APPS, WINDOWS_BASE } from './catalogue.ts';

export interface SimulatedSessionOptions {
  readonly seed: number;
  readonly platform: 'windows' | 'linux';
  /** Physical memory of the machine, for memPct. @default 16384 */
  readonly machineMemMb?: number;
  /** Apps the user works in at once: min..max. @default [3, 8] */
  readonly workingApps?: readonly [number, number];
}

interface Running {
  readonly spec: CatalogueApp;
  procs: number;
  memMb: number;
  /** Intervals left of a busy spell (a build, a call, a heavy page). */
  burst: number;
}

/** Per-interval odds of the user's state changing, from → to. */
const TRANSITIONS: Record<SessionState, readonly [SessionState, number][]> = {
  active: [
    ['idle', 0.03],
    ['locked', 0.01],
  ],
  idle: [
    ['active', 0.2],
    ['locked', 0.05],
  ],
  locked: [['active', 0.08]],
  disconnected: [['active', 0.05]],
};

export class SimulatedSession {
  private readonly rng: Rng;
  private readonly apps: Running[] = [];
  private readonly available: CatalogueApp[];
  private readonly machineMemMb: number;
  private state: SessionState = 'active';
  private foreground: Running | undefined;

  constructor(options: SimulatedSessionOptions) {
    this.rng = createRng(options.seed);
    this.machineMemMb = options.machineMemMb ?? 16_384;
    const windows = options.platform === 'windows';
    for (const spec of windows ? WINDOWS_BASE : LINUX_BASE) {
      if (spec.procs[1] > 0) this.start(spec);
    }
    const pool = windows ? WINDOWS_APPS : LINUX_APPS;
    const [min, max] = options.workingApps ?? [3, 8];
    const working = this.rng.sample(pool, this.rng.int(min, max));
    for (const spec of working) this.start(spec);
    this.available = pool.filter((spec) => !working.includes(spec));
    this.foreground = this.pickForeground();
  }

  /** The user's state now (active, idle, locked, disconnected). */
  get currentState(): SessionState {
    return this.state;
  }

  /** Processes the session runs now. */
  get processCount(): number {
    return this.apps.reduce((n, a) => n + a.procs, 0);
  }

  /** The sample for the interval of `intervalSec` that ends at `t` (epoch ms). */
  sample(t: number, intervalSec: number): AnalyzerSample {
    this.step();
    const working = this.state === 'active';
    const focusable = this.state === 'active' || this.state === 'idle';
    // The foreground is sometimes shared: the user switched once during the interval.
    const second = working && this.rng.chance(0.3) ? this.pickForeground() : undefined;
    // At least 5 s each side of the switch, or half the interval when it is shorter than 10 s.
    const margin = Math.min(5, Math.floor(intervalSec / 2));
    const split =
      second === undefined || second === this.foreground
        ? intervalSec
        : this.rng.int(margin, intervalSec - margin);
    const apps: AppSample[] = this.apps.map((a) => {
      const fg = a === this.foreground;
      const burst = a.burst > 0 ? 3 + this.rng.next() * 3 : 1;
      const base =
        fg && working ? a.spec.activeCpuPct * (0.3 + this.rng.next() * 1.4) : a.spec.backgroundCpuPct;
      // Background CPU is mostly near zero with spikes, as a timer or a sync wakes the process.
      const jitter = this.rng.chance(0.25) ? this.rng.next() * 2 : this.rng.next() * 0.5;
      let focusSec = 0;
      if (focusable && fg) focusSec = split;
      else if (focusable && a === second) focusSec = intervalSec - split;
      return {
        app: a.spec.name,
        procs: a.procs,
        cpuPct: round(Math.min(100, base * burst * jitter), 2),
        memMb: round(a.memMb, 1),
        focusSec,
      };
    });
    const sessionCpu = apps.reduce((s, a) => s + a.cpuPct, 0);
    const sessionMem = apps.reduce((s, a) => s + a.memMb, 0);
    const inCall = this.apps.some((a) => a.burst > 0 && /teams|zoom/i.test(a.spec.name));
    return {
      t,
      state: this.state,
      cpuPct: round(Math.min(100, sessionCpu + 1 + this.rng.next() * 4), 2),
      memPct: round(Math.min(100, 28 + (sessionMem / this.machineMemMb) * 100), 2),
      diskKBps: round(this.rng.chance(0.2) ? this.rng.next() * 4_000 : this.rng.next() * 120, 1),
      netRxKBps: round(inCall ? 150 + this.rng.next() * 200 : this.rng.next() * (working ? 60 : 5), 1),
      netTxKBps: round(inCall ? 80 + this.rng.next() * 120 : this.rng.next() * (working ? 15 : 2), 1),
      apps,
    };
  }

  private step(): void {
    for (const [to, p] of TRANSITIONS[this.state]) {
      if (this.rng.chance(p)) {
        this.state = to;
        break;
      }
    }
    if (this.state === 'active') {
      if (this.rng.chance(0.15)) this.foreground = this.pickForeground();
      if (this.rng.chance(0.02) && this.available.length > 0) {
        const spec = this.rng.pick(this.available);
        this.available.splice(this.available.indexOf(spec), 1);
        this.foreground = this.start(spec);
      } else if (this.rng.chance(0.01)) {
        this.close();
      }
    }
    for (const a of this.apps) {
      if (a.burst > 0) a.burst--;
      else if (this.rng.chance(a.spec.interactive ? 0.02 : 0.005)) a.burst = this.rng.int(2, 12);
      // Memory drifts: a lot in a browser the user works in, a little in a background service.
      const drift = a === this.foreground ? 0.02 : a.spec.interactive ? 0.004 : 0.001;
      a.memMb = Math.max(4, a.memMb * (1 + (this.rng.next() - 0.48) * drift));
      // Tabs and windows come and go: browsers and IDEs change their process count.
      if (a.spec.procs[1] - a.spec.procs[0] > 4 && this.rng.chance(0.05)) {
        a.procs = Math.min(a.spec.procs[1], Math.max(a.spec.procs[0], a.procs + this.rng.int(-2, 2)));
      }
    }
  }

  private start(spec: CatalogueApp): Running {
    const running: Running = {
      spec,
      procs: this.rng.int(Math.max(1, spec.procs[0]), spec.procs[1]),
      memMb: this.rng.int(spec.memMb[0], spec.memMb[1]),
      burst: 0,
    };
    this.apps.push(running);
    return running;
  }

  private close(): void {
    const closable = this.apps.filter((a) => a.spec.interactive && a !== this.foreground);
    if (closable.length === 0) return;
    const closing = this.rng.pick(closable);
    this.apps.splice(this.apps.indexOf(closing), 1);
    this.available.push(closing.spec);
  }

  private pickForeground(): Running | undefined {
    const interactive = this.apps.filter((a) => a.spec.interactive && a.spec.activeCpuPct > 0);
    return interactive.length === 0 ? undefined : this.rng.pick(interactive);
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
