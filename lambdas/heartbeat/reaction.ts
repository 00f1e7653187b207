/**
 * What features do when a device's heartbeat is recorded (inventory lag now; policy staleness and
 * pending commands next). Each reaction is isolated: one that throws is logged with its name and the
 * others still run. The heartbeat record is written before any reaction, so none can lose it; a
 * failed reaction is not retried, the device's next heartbeat runs it again.
 */
import type { Heartbeat } from '#protocol/heartbeat.ts';

export interface ReactionContext {
  readonly deviceId: string;
  /** When the heartbeat reached the cloud (ms since epoch). */
  readonly receivedAt: number;
  readonly logger: Pick<Console, 'info' | 'error'>;
  readonly metrics: { addMetric(name: string, unit: 'Count', value: number): void };
}

export interface HeartbeatReaction {
  /** Names the reaction in logs and metrics; unique in the registration list. */
  readonly name: string;
  react(heartbeat: Heartbeat, ctx: ReactionContext): Promise<void>;
}

/** Runs every reaction concurrently; returns the names of those that failed (already logged). */
export async function runReactions(
  reactions: readonly HeartbeatReaction[],
  heartbeat: Heartbeat,
  ctx: ReactionContext,
): Promise<string[]> {
  const outcomes = await Promise.allSettled(
    // Wrapped: a reaction that throws synchronously is a rejection like any other.
    reactions.map(async (reaction) => reaction.react(heartbeat, ctx)),
  );
  const failed: string[] = [];
  outcomes.forEach((outcome, i) => {
    const name = reactions[i]?.name ?? `#${i}`;
    if (outcome.status === 'fulfilled') return;
    failed.push(name);
    ctx.metrics.addMetric('HeartbeatReactionFailed', 'Count', 1);
    ctx.logger.error('heartbeat reaction failed', {
      reaction: name,
      deviceId: ctx.deviceId,
      error: outcome.reason,
    });
  });
  return failed;
}
