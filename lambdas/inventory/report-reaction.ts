/**
 * What features do after a report was settled (the network index now). Reactions see what ended up
 * stored, never the report alone: each reads the state it needs, so running one twice, late or out
 * of order is harmless. Each is asked first whether the outcome concerns it, so a report that changed
 * nothing a reaction cares about costs it nothing. A failed reaction fails the record: SQS redelivers
 * it, the report is then a duplicate, and the reactions that look at duplicates catch up.
 */
import type { ReportOutcome } from './apply.ts';

export interface SettledReport {
  readonly deviceId: string;
  readonly outcome: ReportOutcome;
  /** Sections the reports applied by this call changed. */
  readonly changedSections: readonly string[];
  readonly receivedAt: number;
}

export interface ReactionContext {
  readonly logger: Pick<Console, 'info' | 'error'>;
  readonly metrics: { addMetric(name: string, unit: 'Count', value: number): void };
}

export interface ReportReaction {
  /** Names the reaction in logs, metrics and the wiring (wiring/inventory.ts); unique. */
  readonly name: string;
  /** Whether this outcome may concern the reaction (cheap, no I/O). */
  wants(settled: SettledReport): boolean;
  react(settled: SettledReport, ctx: ReactionContext): Promise<void>;
}

/** Transient by design: the record is retried (see isPermanentError), never dead-lettered for it. */
export class ReportReactionError extends Error {
  override readonly name = 'ReportReactionError';
}

/** Runs the reactions that want the outcome, concurrently; throws after all ran if any failed. */
export async function runReportReactions(
  reactions: readonly ReportReaction[],
  settled: SettledReport,
  ctx: ReactionContext,
): Promise<void> {
  const wanted = reactions.filter((reaction) => reaction.wants(settled));
  const outcomes = await Promise.allSettled(wanted.map(async (reaction) => reaction.react(settled, ctx)));
  const failed: string[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    const name = wanted[i]?.name ?? `#${i}`;
    failed.push(name);
    ctx.metrics.addMetric('ReportReactionFailed', 'Count', 1);
    ctx.logger.error('report reaction failed', {
      reaction: name,
      deviceId: settled.deviceId,
      error: outcome.reason,
    });
  });
  if (failed.length > 0) {
    throw new ReportReactionError(`report reactions failed for ${settled.deviceId}: ${failed.join(', ')}`);
  }
}
