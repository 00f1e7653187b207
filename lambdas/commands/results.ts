/**
 * A device's command result → the outcome it belongs to. A result for a command id that does not
 * exist, or from a device the command was not sent to, is refused (ProtocolError: the caller
 * dead-letters it) and changes nothing. Idempotent by construction: transitions only move forward,
 * so a repeated or late result is a no-op.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { COMMAND_ID_PATTERN } from '#protocol/api/commands.ts';
import type { CommandResult } from '#protocol/commands.ts';
import { ProtocolError } from '../commons/errors.ts';
import { relayPrefix } from './items.ts';
import { type CommandsDeps, getMeta, getOutcome, transition } from './store.ts';
import { commandType } from './types/index.ts';
import { resultAsOutcome } from './types/plugin.ts';

export type ResultOutcome = 'applied' | 'stale' | 'notification';

/** Applies `result` reported by `deviceId`; returns what it did per target. */
export async function applyResult(
  deps: CommandsDeps & { readonly now: () => number },
  deviceId: string,
  result: CommandResult,
): Promise<ResultOutcome> {
  // The cloud's own notifications (resync requests, policy-changed) have other ids; their results
  // are the agent being polite, not an operator command's outcome.
  if (!COMMAND_ID_PATTERN.test(result.commandId)) return 'notification';
  const meta = await getMeta(deps, result.commandId);
  if (meta === undefined) throw new ProtocolError(`result for unknown command ${result.commandId}`);
  const plugin = commandType(meta.type);
  const targets = await targetsOf(deps, result.commandId, deviceId);
  if (targets.length === 0) {
    throw new ProtocolError(`command ${result.commandId} was not sent to device ${deviceId}`);
  }
  let applied = false;
  for (const target of targets) {
    const decided =
      plugin?.interpretResult?.(result, { recipient: deviceId, target }) ?? resultAsOutcome(result);
    const moved = await transition(deps, {
      commandId: result.commandId,
      deviceId: target,
      to: decided.state,
      at: deps.now(),
      ...(decided.reason === undefined ? {} : { reason: decided.reason }),
      ...(decided.detail === undefined ? {} : { detail: decided.detail }),
      // Queued too: the recipient is recorded before sending, and may answer before `dispatched` lands.
      from: ['queued', 'dispatched', 'acknowledged'],
    });
    applied ||= moved !== undefined;
  }
  return applied ? 'applied' : 'stale';
}

/** The targets `recipient` answers for: itself when the command was sent to it, or relayed ones. */
async function targetsOf(deps: CommandsDeps, commandId: string, recipient: string): Promise<string[]> {
  const own = await getOutcome(deps, commandId, recipient);
  const targets = own?.sentTo?.includes(recipient) ? [recipient] : [];
  const relayed = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': commandId, ':prefix': relayPrefix(recipient) },
      ProjectionExpression: 'target',
      Limit: 100,
    }),
  );
  for (const item of relayed.Items ?? []) if (typeof item.target === 'string') targets.push(item.target);
  return targets;
}
