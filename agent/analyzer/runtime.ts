/**
 * One analyzer per interactive user session, started and stopped as sessions come and go. Every
 * tick the machine is sampled once for all sessions (one procfs walk, not one per session); each
 * session's analyzer keeps its samples and publishes a batch per upload interval, and a session
 * that ends publishes its last, partial batch marked final.
 *
 * An analyzer that throws is dropped and started again after a backoff; its failures are counted
 * for the heartbeat. Nothing an analyzer does can stop the agent or the other sessions.
 */
import {
  type AnalyzerBatch,
  type AnalyzerSample,
  MAX_SAMPLES,
  type SessionState,
} from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import type { AnalyzerStatus } from '#protocol/heartbeat.ts';
import { type BackoffOptions, backoffDelay } from '../backoff.ts';
import type { AgentLogger } from '../module.ts';
import type { SessionSequences } from './session-sequences.ts';

export interface AnalyzedSession {
  /** Unique over time (a reused OS session number is combined with its logon time). */
  readonly id: string;
  readonly user: string;
  readonly state: SessionState;
}

/** Where sessions and samples come from: the OS, or the simulator. */
export interface AnalyzerSource {
  /** The sessions now; undefined when this machine has no session source at all. */
  sessions(): Promise<AnalyzedSession[] | undefined>;
  /** One sample per given session for the interval ending `at` (none on the first call). */
  sample(sessions: readonly AnalyzedSession[], at: number): Promise<Map<string, AnalyzerSample>>;
}

export interface AnalyzerRuntimeOptions {
  readonly source: AnalyzerSource;
  /** Queues a framed batch for the session's topic (durably: it resolves once the outbox has it). */
  readonly publish: (sessionId: string, frame: Buffer) => Promise<void>;
  readonly sequences: SessionSequences;
  readonly logger: AgentLogger;
  /** Read every round: a policy change applies from the next batch on. */
  readonly intervals: () => AnalyzerIntervals;
  /** @default { baseMs: 5 s, maxMs: 5 min, jitter: 0.2 } */
  readonly restartBackoff?: BackoffOptions;
  readonly now?: () => number;
}

export interface AnalyzerIntervals {
  readonly sampleIntervalSec: number;
  readonly uploadIntervalSec: number;
}

class SessionAnalyzer {
  private samples: AnalyzerSample[] = [];
  private startedAt: number | undefined;
  /** The sample interval of the held samples: a batch has one. */
  private intervalSec: number | undefined;

  constructor(
    readonly session: AnalyzedSession,
    private readonly options: AnalyzerRuntimeOptions,
  ) {}

  async add(sample: AnalyzerSample, now: number): Promise<void> {
    const { sampleIntervalSec, uploadIntervalSec } = this.options.intervals();
    if (this.intervalSec !== undefined && this.intervalSec !== sampleIntervalSec)
      await this.flush(false, now);
    this.intervalSec = sampleIntervalSec;
    this.samples.push(sample);
    // The batch's window opened one interval before its first sample ended.
    this.startedAt ??= now - sampleIntervalSec * 1000;
    const due = now - this.startedAt >= (uploadIntervalSec - sampleIntervalSec / 2) * 1000;
    if (due || this.samples.length >= MAX_SAMPLES) await this.flush(false, now);
  }

  async flush(final: boolean, now: number): Promise<void> {
    if (this.samples.length === 0) return;
    const batch: AnalyzerBatch = {
      sessionId: this.session.id,
      user: this.session.user,
      seq: this.options.sequences.next(this.session.id, now),
      intervalSec: this.intervalSec ?? this.options.intervals().sampleIntervalSec,
      final,
      samples: this.samples,
    };
    this.samples = [];
    this.startedAt = undefined;
    this.intervalSec = undefined;
    await this.options.publish(this.session.id, encodeFramed(encodeAnalyzerBatch(batch)));
  }
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 300_000, jitter: 0.2 };

export class AnalyzerRuntime {
  private readonly analyzers = new Map<string, SessionAnalyzer>();
  /** Sessions whose analyzer failed: when it may start again, and how many times it failed. */
  private readonly failed = new Map<string, { retryAt: number; failures: number }>();
  private current: readonly AnalyzedSession[] = [];
  private restarts = 0;
  private lastError: string | undefined;
  private noSource = false;
  private readonly now: () => number;

  constructor(private readonly options: AnalyzerRuntimeOptions) {
    this.now = options.now ?? Date.now;
  }

  status(): AnalyzerStatus {
    return {
      sessions: this.analyzers.size,
      restarts: this.restarts,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.noSource ? { noSessionSource: true as const } : {}),
    };
  }

  /** The sessions of the last round. */
  sessions(): readonly AnalyzedSession[] {
    return this.current;
  }

  /** One sampling round. Never throws: failures are contained per session and logged. */
  async tick(): Promise<void> {
    const at = this.now();
    let sessions: AnalyzedSession[] | undefined;
    let samples: Map<string, AnalyzerSample>;
    try {
      sessions = await this.options.source.sessions();
      if (sessions === undefined) {
        if (!this.noSource)
          this.options.logger.info('analyzer: this machine has no session source; analyzer idle');
        this.noSource = true;
        return;
      }
      this.noSource = false;
      this.current = sessions;
      samples = await this.options.source.sample(sessions, at);
    } catch (err) {
      this.recordFailure('sampling', err);
      return;
    }
    const present = new Set(sessions.map((s) => s.id));
    for (const [id, analyzer] of this.analyzers) {
      if (!present.has(id)) {
        this.analyzers.delete(id);
        await this.guard(id, () => analyzer.flush(true, at));
      }
    }
    for (const session of sessions) {
      const sample = samples.get(session.id);
      if (sample === undefined) continue;
      let analyzer = this.analyzers.get(session.id);
      if (analyzer === undefined) {
        const failure = this.failed.get(session.id);
        if (failure !== undefined && at < failure.retryAt) continue;
        analyzer = new SessionAnalyzer(session, this.options);
        this.analyzers.set(session.id, analyzer);
      }
      const running = analyzer;
      await this.guard(session.id, () => running.add(sample, at));
    }
  }

  /** Publishes what every analyzer holds (the agent is stopping; sessions go on). */
  async flushAll(): Promise<void> {
    const at = this.now();
    for (const [id, analyzer] of this.analyzers) await this.guard(id, () => analyzer.flush(false, at));
  }

  /**
   * The policy turned the analyzer off: what is held is published (not final: the sessions go on)
   * and no analyzer runs until the next tick. Sequences are kept, so turning it on again continues
   * each session's numbering.
   */
  async stopAll(): Promise<void> {
    await this.flushAll();
    this.analyzers.clear();
    this.current = [];
  }

  private async guard(sessionId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      this.failed.delete(sessionId);
    } catch (err) {
      this.analyzers.delete(sessionId);
      const failures = (this.failed.get(sessionId)?.failures ?? 0) + 1;
      const delay = backoffDelay(failures - 1, this.options.restartBackoff ?? DEFAULT_BACKOFF);
      this.failed.set(sessionId, { retryAt: this.now() + delay, failures });
      this.recordFailure(`session ${sessionId}`, err, delay);
    }
  }

  private recordFailure(where: string, err: unknown, restartInMs?: number): void {
    this.restarts++;
    this.lastError = `${where}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 256);
    this.options.logger.warn('analyzer failed', {
      where,
      error: this.lastError,
      ...(restartInMs === undefined ? {} : { restartInMs }),
    });
  }
}
