/**
 * The analyzer source of a simulated machine: a desktop with one user who logs on and off, or a
 * terminal server with 5–30 users coming and going, each session a SimulatedSession.
 */
import type { AnalyzedSession, AnalyzerSource } from '#agent/analyzer/runtime.ts';
import type { AnalyzerSample } from '#protocol/analyzer.ts';
import type { UserSession } from '#protocol/heartbeat.ts';
import { createRng, type Rng } from '../rng.ts';
import { SimulatedSession } from './session.ts';

export interface SimulatedMachineOptions {
  readonly seed: number;
  readonly platform: 'windows' | 'linux';
  /** A terminal server hosts many users' sessions. @default false */
  readonly terminalServer?: boolean;
  readonly sampleIntervalSec: number;
  /** Logon times go into session ids. @default Date.now */
  readonly now?: () => number;
}

interface Live {
  readonly id: string;
  readonly user: string;
  readonly startedAt: number;
  readonly session: SimulatedSession;
}

export class SimulatedAnalyzerSource implements AnalyzerSource {
  private readonly rng: Rng;
  private readonly live: Live[] = [];
  private started = 0;

  constructor(private readonly options: SimulatedMachineOptions) {
    this.rng = createRng(options.seed);
    const initial = options.terminalServer ? this.rng.int(5, 30) : 1;
    for (let i = 0; i < initial; i++) this.logOn();
  }

  async sessions(): Promise<AnalyzedSession[]> {
    this.churn();
    return this.live.map(({ id, user }) => ({ id, user, state: 'active' }));
  }

  /** The sessions as the heartbeat lists them: the same ones the analyzer samples, in their state now. */
  userSessions(): UserSession[] {
    return this.live.map(({ id, user, startedAt, session }) => ({
      id,
      user,
      state: session.currentState,
      startedAt,
    }));
  }

  async sample(sessions: readonly AnalyzedSession[], at: number): Promise<Map<string, AnalyzerSample>> {
    const samples = new Map<string, AnalyzerSample>();
    for (const s of sessions) {
      const live = this.live.find((l) => l.id === s.id);
      if (live !== undefined) samples.set(s.id, live.session.sample(at, this.options.sampleIntervalSec));
    }
    return samples;
  }

  /** Per tick: on a terminal server users log on and off; a desktop's user rarely logs off. */
  private churn(): void {
    const ts = this.options.terminalServer === true;
    if (this.live.length > (ts ? 5 : 0) && this.rng.chance(ts ? 0.02 : 0.002)) {
      this.live.splice(this.rng.int(0, this.live.length - 1), 1);
    }
    if (this.live.length < (ts ? 30 : 1) && this.rng.chance(ts ? 0.02 : 0.05)) this.logOn();
  }

  private logOn(): void {
    const n = ++this.started;
    const user = this.options.terminalServer ? `CORP\\user${this.rng.int(1, 400)}` : 'CORP\\owner';
    // The logon time makes the id unique over restarts of the same seeded machine, as Windows'
    // session number with its logon time is: a new session never continues an old one's sequence.
    const startedAt = (this.options.now ?? Date.now)();
    const logonSec = Math.floor(startedAt / 1000).toString(36);
    this.live.push({
      id: `${n}-${logonSec}-${this.rng.hex(4)}`,
      user,
      startedAt,
      session: new SimulatedSession({
        seed: (this.options.seed + n * 7919) >>> 0,
        platform: this.options.platform,
        ...(this.options.terminalServer ? { workingApps: [2, 5] as const } : {}),
      }),
    });
  }
}
