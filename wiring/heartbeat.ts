/**
 * dt/fleet/{id}/heartbeat → the device record, then the reactions features register on a recorded
 * heartbeat (lambdas/heartbeat/reactions.ts). Each reaction's access and settings come from its own
 * feature's wiring and are listed here, next to the reaction list they mirror.
 */
import { pendingCommandsReaction } from './commands.ts';
import type { Feature } from './feature.ts';
import { type Contribution, mergeAccess } from './functions.ts';
import { topicRule } from './ingest.ts';
import { inventoryLagReaction } from './inventory.ts';
import { policyHeartbeatReaction } from './policies.ts';

/** One entry per reaction in lambdas/heartbeat/reactions.ts, by the same name (tested). */
export const heartbeatReactions: readonly Contribution[] = [
  inventoryLagReaction,
  policyHeartbeatReaction,
  pendingCommandsReaction,
];
const reactions = heartbeatReactions;

export const heartbeat = {
  name: 'heartbeat',
  functions: {
    heartbeat: {
      entry: 'lambdas/heartbeat.ts',
      description: 'Records heartbeats (last seen, version, source IP, connectivity); nudges stale devices',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: topicRule('heartbeat'),
      access: mergeAccess(
        { tables: { devices: 'readWrite' }, queues: { ingestDeadLetter: 'send' } },
        ...reactions.map((reaction) => reaction.access),
      ),
      settings: reactions.flatMap((reaction) => reaction.settings ?? []),
    },
  },
} as const satisfies Feature;
