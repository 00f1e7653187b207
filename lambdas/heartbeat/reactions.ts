/**
 * The heartbeat reactions features register, one line each. The access and settings a reaction needs
 * are declared by its feature's wiring and listed in wiring/heartbeat.ts, in the same order.
 */
import { pendingCommandsReaction } from '../commands/pending-reaction.ts';
import { inventoryLagReaction } from '../inventory/lag-reaction.ts';
import { policyHeartbeatReaction } from '../policies/heartbeat-reaction.ts';
import type { HeartbeatReaction } from './reaction.ts';

export const heartbeatReactions: readonly HeartbeatReaction[] = [
  inventoryLagReaction,
  policyHeartbeatReaction,
  pendingCommandsReaction,
];
