/**
 * The heartbeat: a small JSON message every interval while connected, and one right after each
 * connect. Never queued offline: a stale heartbeat says nothing true about now.
 *
 * The core knows the agent, the host and the connection; every other field is contributed by the
 * module that owns it (policy version, inventory sequence, ...), so a feature adds its fields
 * without editing this file.
 */
import { type Connectivity, type Heartbeat, HeartbeatSchema, type UserSession } from '#protocol/heartbeat.ts';
import { errorMessage } from './logger.ts';
import type { AgentLogger, AgentModule } from './module.ts';

/** What the agent core itself knows about now. */
export interface HeartbeatFacts {
  readonly agentVersion: string;
  readonly startedAt: number;
  readonly now: number;
  readonly sessions: readonly UserSession[];
  readonly connectivity: Connectivity;
  readonly platform?: Heartbeat['platform'];
  readonly hostname?: string;
}

/** Each field a module may contribute, checked on its own against the protocol. */
const ContributionSchema = HeartbeatSchema.partial();

/**
 * The fields the modules contribute, merged in module order (a later module wins a field both
 * set). A module whose contribution throws or breaks the contract is logged and left out: one
 * feature's fault must not silence the heartbeat.
 */
export function mergeContributions(
  modules: readonly Pick<AgentModule, 'name' | 'heartbeatFields'>[],
  logger: AgentLogger,
): Partial<Heartbeat> {
  const merged: Partial<Heartbeat> = {};
  for (const module of modules) {
    if (module.heartbeatFields === undefined) continue;
    try {
      const parsed = ContributionSchema.safeParse(module.heartbeatFields());
      if (parsed.success) Object.assign(merged, parsed.data);
      else
        logger.warn('heartbeat fields of a module left out: out of contract', {
          module: module.name,
          error: parsed.error.message,
        });
    } catch (err) {
      logger.warn('heartbeat fields of a module left out: it threw', {
        module: module.name,
        error: errorMessage(err),
      });
    }
  }
  return merged;
}

/**
 * Builds and validates a heartbeat from the core's facts and the modules' fields; throws a ZodError
 * when the result is out of contract (a required field no module contributed, a bad fact).
 */
export function buildHeartbeat(facts: HeartbeatFacts, contributed: Partial<Heartbeat> = {}): Heartbeat {
  return HeartbeatSchema.parse({
    schema: 1,
    // Sequence 0 until an inventory report exists (or without the inventory module at all).
    reportSeq: 0,
    ...contributed,
    // The core's own facts: a module cannot override them.
    agentVersion: facts.agentVersion,
    uptimeSec: Math.max(0, Math.floor((facts.now - facts.startedAt) / 1000)),
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

  /**
   * Sends one heartbeat now and re-arms with the current interval: after a policy is applied, so the
   * cloud sees the version the device runs at once rather than one (new) interval later.
   */
  beatNow(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    void this.tick();
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
