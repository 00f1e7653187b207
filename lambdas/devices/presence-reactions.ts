/**
 * What features do when a device's connect is recorded, one line each; the access they need is
 * declared by their feature's wiring and listed in wiring/presence.ts, in the same order. Like the
 * heartbeat's reactions: each is isolated (one that throws is logged, the others still run), and
 * a failed one is not retried (the device's next heartbeat runs the heartbeat's twin).
 */
import { pendingCommandsReaction } from '../commands/pending-reaction.ts';

export interface PresenceReaction {
  readonly name: string;
  onConnected(deviceId: string): Promise<unknown>;
}

export const presenceReactions: readonly PresenceReaction[] = [pendingCommandsReaction];

export async function runPresenceReactions(
  reactions: readonly PresenceReaction[],
  deviceId: string,
  log: { error(msg: string, fields: Record<string, unknown>): void },
): Promise<void> {
  const outcomes = await Promise.allSettled(reactions.map(async (r) => r.onConnected(deviceId)));
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'rejected') {
      log.error('presence reaction failed', {
        reaction: reactions[i]?.name,
        deviceId,
        error: outcome.reason,
      });
    }
  });
}
