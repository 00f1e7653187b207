/**
 * A device that connects (presence) or heartbeats gets its pending commands: each one goes to the
 * dispatcher, which delivers it now that the device is online (or, for a type waiting for the
 * target, confirms it). Bounded: at most one page of pending commands per event; the next event
 * takes the rest.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { pendingPk } from './items.ts';
import { type DispatchMessage, type QueueDeps, sendDispatchBatch } from './messages.ts';
import type { StoreDeps } from './store.ts';

export const PENDING_PAGE = 100;

export async function releasePending(deps: StoreDeps & QueueDeps, deviceId: string): Promise<number> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pendingPk(deviceId) },
      ProjectionExpression: 'commandId',
      Limit: PENDING_PAGE,
    }),
  );
  const entries = (out.Items ?? [])
    .map((item) => item.commandId)
    .filter((id): id is string => typeof id === 'string')
    .map((commandId) => ({ body: { kind: 'dispatch', commandId, deviceId } satisfies DispatchMessage }));
  await sendDispatchBatch(deps, entries);
  return entries.length;
}
