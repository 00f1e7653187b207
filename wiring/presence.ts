/**
 * $aws/events/presence/... → the device record's online/offline state, then the reactions features
 * register on a recorded connect (lambdas/devices/presence-reactions.ts); each reaction's access
 * comes from its own feature's wiring and is listed here, next to the reaction list it mirrors.
 */
import { pendingCommandsReaction } from './commands.ts';
import type { Feature } from './feature.ts';
import { type Contribution, mergeAccess } from './functions.ts';
import { topicRule } from './ingest.ts';

/** One entry per reaction in lambdas/devices/presence-reactions.ts, by the same name. */
export const presenceReactions: readonly Contribution[] = [pendingCommandsReaction];

export const presence = {
  name: 'presence',
  functions: {
    presence: {
      entry: 'lambdas/presence.ts',
      description: 'Tracks connect/disconnect lifecycle events',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: topicRule('presence'),
      access: mergeAccess(
        { tables: { devices: 'readWrite' }, queues: { ingestDeadLetter: 'send' } },
        ...presenceReactions.map((reaction) => reaction.access),
      ),
    },
  },
} as const satisfies Feature;
