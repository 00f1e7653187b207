/** The commands as the API shows them: views of the meta and outcome items, and their listings. */
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type {
  CommandStatus,
  CommandView,
  DeviceCommandRow,
  DeviceOutcome,
  OperatorCommandType,
} from '#protocol/api/commands.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { COMMANDS_BY_CREATED, COMMANDS_BY_DEVICE } from '#wiring/commands.ts';
import {
  LIST_KEY,
  META_SK,
  type MetaItem,
  OUTCOME_PREFIX,
  type OutcomeItem,
  outcomeSk,
  zeroTotals,
} from './items.ts';
import type { StoreDeps } from './store.ts';

export function commandView(meta: MetaItem, totals = meta.totals): CommandView {
  return {
    commandId: meta.commandId,
    type: meta.type,
    target: meta.target,
    params: meta.params,
    status: meta.status,
    createdAt: meta.createdAt,
    expiresAt: meta.expiresAt,
    ...(meta.clientToken === undefined ? {} : { clientToken: meta.clientToken }),
    ...(meta.rollout === undefined ? {} : { rollout: meta.rollout }),
    targeted: meta.targeted,
    // Counters may dip below zero for a moment (a device dispatched before its page is recorded).
    totals: Object.fromEntries(
      Object.entries({ ...zeroTotals(), ...totals }).map(([s, n]) => [s, Math.max(0, n)]),
    ) as CommandView['totals'],
    ...(meta.reason === undefined ? {} : { reason: meta.reason }),
  };
}

export function outcomeView(item: OutcomeItem): DeviceOutcome {
  const detail = detailOf(item);
  return {
    deviceId: item.deviceId,
    state: item.state,
    updatedAt: item.updatedAt,
    ...(item.reason === undefined ? {} : { reason: item.reason }),
    history: item.history,
    ...(detail === undefined ? {} : { detail }),
  };
}

function detailOf(item: OutcomeItem): JsonObject | undefined {
  // JSON.parse keeps a `__proto__` key as an own property: data, as the device sent it.
  return item.detailJson === undefined ? item.detail : (JSON.parse(item.detailJson) as JsonObject);
}

/** Exact totals from the outcomes themselves (the counters on the meta item can lag a crash). */
export async function countOutcomes(deps: StoreDeps, commandId: string): Promise<CommandView['totals']> {
  const totals = zeroTotals();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': commandId, ':prefix': OUTCOME_PREFIX },
        ExpressionAttributeNames: { '#state': 'state' },
        ProjectionExpression: '#state',
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) {
      const state = item.state as keyof typeof totals;
      totals[state] = (totals[state] ?? 0) + 1;
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return totals;
}

export async function listOutcomes(
  deps: StoreDeps,
  commandId: string,
  page: { limit: number; after?: string },
): Promise<{ items: OutcomeItem[]; next?: string }> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': commandId, ':prefix': OUTCOME_PREFIX },
      ...(page.after === undefined
        ? {}
        : { ExclusiveStartKey: { pk: commandId, sk: outcomeSk(page.after) } }),
      Limit: page.limit,
    }),
  );
  const items = (out.Items ?? []) as OutcomeItem[];
  const last = items.at(-1);
  return out.LastEvaluatedKey !== undefined && last !== undefined
    ? { items, next: last.deviceId }
    : { items };
}

async function batchGet<T>(
  deps: StoreDeps,
  keys: Array<{ pk: string; sk: string }>,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  let pending: Record<string, unknown>[] | undefined = keys;
  while (pending !== undefined && pending.length > 0) {
    const out = await deps.ddb.send(
      new BatchGetCommand({ RequestItems: { [deps.table]: { Keys: pending } } }),
    );
    for (const item of out.Responses?.[deps.table] ?? []) found.set(`${item.pk}|${item.sk}`, item as T);
    pending = out.UnprocessedKeys?.[deps.table]?.Keys as Record<string, unknown>[] | undefined;
  }
  return found;
}

export interface IndexPosition {
  readonly createdAt: number;
  readonly pk: string;
}

/** Recent commands first, filtered after reading (a page may hold fewer than `limit` and not be the last). */
export async function listCommands(
  deps: StoreDeps,
  query: { limit: number; after?: IndexPosition; type?: OperatorCommandType; status?: CommandStatus },
): Promise<{ items: MetaItem[]; next?: IndexPosition }> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      IndexName: COMMANDS_BY_CREATED,
      KeyConditionExpression: 'listKey = :list',
      ExpressionAttributeValues: { ':list': LIST_KEY },
      ScanIndexForward: false,
      Limit: query.limit,
      ...(query.after === undefined
        ? {}
        : {
            ExclusiveStartKey: {
              listKey: LIST_KEY,
              createdAt: query.after.createdAt,
              pk: query.after.pk,
              sk: META_SK,
            },
          }),
    }),
  );
  const keys = (out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: META_SK }));
  const metas = await batchGet<MetaItem>(deps, keys);
  const items = keys
    .map((k) => metas.get(`${k.pk}|${k.sk}`))
    .filter((m): m is MetaItem => m !== undefined)
    .filter(
      (m) =>
        (query.type === undefined || m.type === query.type) &&
        (query.status === undefined || m.status === query.status),
    );
  const lastKey = out.Items?.at(-1);
  return out.LastEvaluatedKey !== undefined && lastKey !== undefined
    ? { items, next: { createdAt: Number(lastKey.createdAt), pk: String(lastKey.pk) } }
    : { items };
}

/** A device's commands, recent first. */
export async function listDeviceCommands(
  deps: StoreDeps,
  deviceId: string,
  query: { limit: number; after?: IndexPosition },
): Promise<{ items: DeviceCommandRow[]; next?: IndexPosition }> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      IndexName: COMMANDS_BY_DEVICE,
      KeyConditionExpression: 'deviceId = :d',
      ExpressionAttributeValues: { ':d': deviceId },
      ScanIndexForward: false,
      Limit: query.limit,
      ...(query.after === undefined
        ? {}
        : {
            ExclusiveStartKey: {
              deviceId,
              createdAt: query.after.createdAt,
              pk: query.after.pk,
              sk: outcomeSk(deviceId),
            },
          }),
    }),
  );
  const keys = (out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) }));
  const outcomes = await batchGet<OutcomeItem>(deps, keys);
  const items = keys
    .map((k) => outcomes.get(`${k.pk}|${k.sk}`))
    .filter((o): o is OutcomeItem => o !== undefined)
    .map(
      (o): DeviceCommandRow => ({
        commandId: o.commandId,
        type: o.type,
        createdAt: o.createdAt,
        state: o.state,
        updatedAt: o.updatedAt,
        ...(o.reason === undefined ? {} : { reason: o.reason }),
      }),
    );
  const lastKey = out.Items?.at(-1);
  return out.LastEvaluatedKey !== undefined && lastKey !== undefined
    ? { items, next: { createdAt: Number(lastKey.createdAt), pk: String(lastKey.pk) } }
    : { items };
}
