/**
 * The analyzer feature: samples the machine's user sessions every `sampleIntervalSec` and
 * publishes one batch per session every `uploadIntervalSec` (both from the policy, re-read every
 * round, as is `enabled`). The heartbeat carries the sessions it sees.
 */
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { topics } from '#protocol/topics.ts';
import type { AgentContext, AgentModule } from '../module.ts';
import { LinuxAnalyzerSource } from './linux/source.ts';
import { AnalyzerRuntime, type AnalyzerSource } from './runtime.ts';
import { FileSessionSequences, type SessionSequences } from './session-sequences.ts';

export interface AnalyzerModuleOptions {
  /** @default the OS's own (Linux: logind and procfs); none elsewhere yet */
  readonly source?: AnalyzerSource;
  /** Picks the default source. @default process.platform */
  readonly platform?: NodeJS.Platform;
  /** @default a file in the agent's dataDir */
  readonly openSequences?: (dataDir: string) => SessionSequences;
  /** Overrides the policy's intervals (the simulator's short ones). */
  readonly sampleIntervalSec?: number;
  readonly uploadIntervalSec?: number;
}

/** The source for this OS; undefined where there is none yet (said once in the log). */
export function defaultAnalyzerSource(
  platform: NodeJS.Platform = process.platform,
): AnalyzerSource | undefined {
  return platform === 'linux' ? new LinuxAnalyzerSource() : undefined;
}

export class AnalyzerModule implements AgentModule {
  readonly name = 'analyzer';
  private runtime: AnalyzerRuntime | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = true;
  private noSource = false;
  /** Whether the last round ran with the analyzer on (a change is logged once). */
  private enabled = true;

  constructor(private readonly options: AnalyzerModuleOptions = {}) {}

  async start(context: AgentContext): Promise<void> {
    const platform = this.options.platform ?? process.platform;
    const source = this.options.source ?? defaultAnalyzerSource(platform);
    if (source === undefined) {
      this.noSource = true;
      context.logger.info('analyzer: no session source on this platform yet; analyzer off', { platform });
      return;
    }
    const settings = () => {
      const policy = context.policy().analyzer;
      return {
        enabled: policy.enabled,
        sampleIntervalSec: this.options.sampleIntervalSec ?? policy.sampleIntervalSec,
        uploadIntervalSec: this.options.uploadIntervalSec ?? policy.uploadIntervalSec,
      };
    };
    this.runtime = new AnalyzerRuntime({
      source,
      sequences: (this.options.openSequences ?? FileSessionSequences.open)(context.dataDir),
      logger: context.logger,
      intervals: settings,
      publish: (sessionId, frame) =>
        context.publish(topics.analyzer(context.deviceId, sessionId), frame, { qos: 1 }),
    });
    this.stopped = false;
    const runtime = this.runtime;
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        const { enabled } = settings();
        if (enabled !== this.enabled)
          context.logger.info(enabled ? 'analyzer turned on by policy' : 'analyzer turned off by policy');
        this.enabled = enabled;
        this.round = enabled ? runtime.tick() : runtime.stopAll();
        void this.round.finally(schedule);
      }, settings().sampleIntervalSec * 1000);
      this.timer.unref?.();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.round;
    await this.runtime?.flushAll();
  }

  heartbeatFields(): Partial<Heartbeat> {
    if (this.noSource) return { analyzer: { sessions: 0, restarts: 0, noSessionSource: true } };
    if (this.runtime === undefined) return {};
    const sessions = this.runtime.sessions().slice(0, 256);
    return {
      sessions: sessions.map(({ id, user, state }) => ({ id, user, state })),
      analyzer: this.runtime.status(),
    };
  }
}
