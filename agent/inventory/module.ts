/**
 * The inventory feature: collects every interval, publishes a full report on start and on resync,
 * and per-section merge-patch diffs afterwards (nothing when nothing changed).
 */
import { CommandResultSchema } from '#protocol/commands.ts';
import { encodeFramed, encodeJson } from '#protocol/encoding.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { topics } from '#protocol/topics.ts';
import type { AgentContext, AgentModule } from '../module.ts';
import { InventoryBacklogCollapsed } from '../outbox/errors.ts';
import { collectInventory } from './collect.ts';
import { buildReport, type ReportBaseline } from './report-builder.ts';
import type { CollectedInventory, InventorySections, SectionCollector } from './sections.ts';
import { FileSequenceStore, type SequenceSource } from './sequence-store.ts';

export const INVENTORY_DEFAULTS = {
  /** Per-collector bound; a slow package database must not stall the whole pass. */
  collectorTimeoutMs: 30_000,
} as const;

export interface InventoryModuleOptions {
  readonly collectors: readonly SectionCollector[];
  /**
   * Collection interval. Simulated agents use a faster one.
   * @default the policy's inventoryIntervalSec, re-read before every wait
   */
  readonly intervalMs?: number;
  /** @default INVENTORY_DEFAULTS.collectorTimeoutMs */
  readonly collectorTimeoutMs?: number;
  /** @default a FileSequenceStore in the agent's dataDir */
  readonly openSequenceStore?: (dataDir: string) => SequenceSource;
  /** @default Date.now */
  readonly now?: () => number;
  /** Runs before every pass except the first; lets a simulated host churn between passes. */
  readonly beforePass?: () => void;
}

export class InventoryModule implements AgentModule {
  readonly name = 'inventory';
  private context: AgentContext | undefined;
  private seqStore: SequenceSource | undefined;
  private baseline: ReportBaseline | undefined;
  private lastKnown: InventorySections = {};
  private forceFull = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private passes = 0;
  /** Passes run one after another, so a resync never interleaves with a scheduled pass. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: InventoryModuleOptions) {}

  async start(context: AgentContext): Promise<void> {
    this.context = context;
    this.stopped = false;
    this.seqStore = (this.options.openSequenceStore ?? FileSequenceStore.open)(context.dataDir);
    context.onCommand('resync', async (command) => {
      context.logger.info('inventory resync requested', {
        reason: command.reason,
        storedSeq: command.storedSeq,
      });
      if (command.storedSeq !== null) this.seqStore?.advancePast(command.storedSeq);
      this.forceFull = true;
      await this.runPass();
      // The pass clears forceFull only once the full report is queued (in the outbox or sent).
      if (this.forceFull)
        throw new Error('the full inventory report could not be queued (see the agent log)');
      const result = CommandResultSchema.parse({
        commandId: command.commandId,
        status: 'succeeded',
        at: (this.options.now ?? Date.now)(),
        detail: { reportSeq: this.seqStore?.current ?? null },
      });
      await context.publish(topics.commandResult(context.deviceId), encodeJson(result));
    });
    await this.runPass();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue;
  }

  heartbeatFields(): Partial<Heartbeat> {
    if (this.seqStore === undefined) return {};
    return { reportSeq: this.seqStore.current, reportEpoch: this.seqStore.epoch };
  }

  /** Runs one collection pass now (queued behind a running one). */
  runPass(): Promise<void> {
    this.queue = this.queue.then(() => this.collectAndPublish());
    return this.queue;
  }

  private schedule(): void {
    if (this.stopped || this.context === undefined) return;
    const intervalMs = this.options.intervalMs ?? this.context.policy().inventoryIntervalSec * 1000;
    this.timer = setTimeout(() => {
      void this.runPass().finally(() => this.schedule());
    }, intervalMs);
  }

  private async collectAndPublish(): Promise<void> {
    const context = this.context;
    const seqStore = this.seqStore;
    if (context === undefined || seqStore === undefined) return;
    try {
      if (this.passes++ > 0) this.options.beforePass?.();
      const collected = await collectInventory(this.options.collectors, this.lastKnown, {
        timeoutMs: this.options.collectorTimeoutMs ?? INVENTORY_DEFAULTS.collectorTimeoutMs,
        now: this.options.now,
      });
      for (const error of collected.errors) {
        context.logger.warn('inventory collector failed', { section: error.section, reason: error.reason });
      }
      this.lastKnown = collected.sections;
      await this.publishReport(context, seqStore, collected);
    } catch (err) {
      context.logger.error('inventory pass failed', { error: (err as Error).message });
    }
  }

  private async publishReport(
    context: AgentContext,
    seqStore: SequenceSource,
    collected: CollectedInventory,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const built = buildReport(this.baseline, collected, seqStore, {
        agentVersion: context.agentVersion,
        forceFull: this.forceFull,
      });
      if (built === undefined) return;
      this.forceFull = false;
      this.baseline = built.baseline;
      const payload = encodeFramed(built.report);
      try {
        await context.publish(topics.report(context.deviceId), payload, { qos: 1 });
      } catch (err) {
        // We cannot know whether the cloud got it; the next report is a full one either way.
        this.forceFull = true;
        // The outbox replaced the queued backlog with a resync: the full report goes now, once.
        if (err instanceof InventoryBacklogCollapsed && attempt === 1) continue;
        throw err;
      }
      context.logger.debug('inventory report published', {
        kind: built.report.kind,
        seq: built.report.seq,
        bytes: payload.length,
      });
      return;
    }
  }
}
