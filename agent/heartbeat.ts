/**
 * The heartbeat: a small JSON message every interval while connected, and one right after each
 * connect. Never queued offline: a stale heartbeat says nothing true about now.
 */
import { type Connectivity, type Heartbeat, HeartbeatSchema, type UserSession } from '#protocol/heartbeat.ts';
import { errorMessage } from './logger.ts';
import type { AgentLogger } from './module.ts';

export interface HeartbeatFacts {
  readonly agentVersion: string;
  readonly startedAt: number;
  readonly now: number;
  readonly reportSeq?: number;
  readonly reportEpoch?: string;
  readonly policyVersion: number;
  readonly sessions: readonly UserSession[];
  readonly connectivity: Connectivity;
  readonly platform?: Heartbeat['platform'];
  readonly hostname?: string;
}

/** Builds and validates a heartbeat; throws a ZodError when a fact is out of contract. */
export function buildHeartbeat(facts: HeartbeatFacts): Heartbeat {
  return HeartbeatSchema.parse({
    schema: 1,
    agentVersion: facts.agentVersion,
    uptimeSec: Math.max(0, Math.floor((facts.now - facts.startedAt) / 1000)),
    reportSeq: facts.reportSeq ?? 0,
    ...(facts.reportEpoch === undefined ? {} : { reportEpoch: facts.reportEpoch }),
    policyVersion: facts.policyVersion,
    sessions: facts.sessions,
    connectivity: facts.connectivity,
    ...(facts.platform === undefined ? {} : { platform: facts.platform }),
    ...(facts.hostname === undefined ? {} : { hostname: facts.hostname.slice(0, 256) }),
    sentAt: facts.now,
  });
}

export interface HeartbeatLoopOptions {
  /** Read at every tick, so a policy change takes effect at the next one. */
  readonly intervalSec: () => number;
  readonly send: () => Promise<void>;
  readonly logger: AgentLogger;
}

/** Sends now, then every interval, until stopped. One send at a time. */
export class HeartbeatLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private sending = false;

  constructor(private readonly options: HeartbeatLoopOptions) {}

  /** Sends one heartbeat immediately and schedules the next. */
  start(): void {
    this.running = true;
    clearTimeout(this.timer);
    void this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Re-arms the timer with the current interval (after a policy change). */
  reschedule(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.options.intervalSec() * 1000);
  }

  private async tick(): Promise<void> {
    if (this.sending) return this.schedule();
    this.sending = true;
    try {
      await this.options.send();
    } catch (err) {
      this.options.logger.warn('heartbeat not sent', { error: errorMessage(err) });
    } finally {
      this.sending = false;
    }
    this.schedule();
  }
}
