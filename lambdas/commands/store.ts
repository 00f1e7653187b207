/**
 * Reads and writes of the `commands` table. Every outcome transition is a conditional write on the
 * state's rank (never backwards, never twice), followed by the meta item's per-state counters;
 * completion and the rollout's abort threshold are decided from the counters that write returns.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type DeviceCommandState, stateRank, TERMINAL_STATES } from '#protocol/api/commands.ts';
import type { JsonObject } from '#protocol/json-object.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import {
  META_SK,
  type MetaItem,
  type OutcomeItem,
  outcomeSk,
  type PendingItem,
  pendingPk,
  RETENTION_MS,
  type Totals,
} from './items.ts';
import { type QueueDeps, sendOne } from './messages.ts';

export interface StoreDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
}

export type CommandsDeps = StoreDeps & QueueDeps;

/** Largest `detail` kept per outcome, in bytes of JSON; a larger one is replaced by a note. */
export const MAX_DETAIL_BYTES = 4096;

export async function getMeta(deps: StoreDeps, commandId: string): Promise<MetaItem | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: { pk: commandId, sk: META_SK }, ConsistentRead: true }),
  );
  return out.Item as MetaItem | undefined;
}

export async function getOutcome(
  deps: StoreDeps,
  commandId: string,
  deviceId: string,
): Promise<OutcomeItem | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { pk: commandId, sk: outcomeSk(deviceId) },
      ConsistentRead: true,
    }),
  );
  return out.Item as OutcomeItem | undefined;
}

export function boundedDetail(detail: JsonObject | undefined): JsonObject | undefined {
  if (detail === undefined) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(detail), 'utf8');
  return bytes <= MAX_DETAIL_BYTES ? detail : { truncated: true, bytes };
}

export interface TransitionInput {
  readonly commandId: string;
  readonly deviceId: string;
  readonly to: DeviceCommandState;
  readonly at: number;
  readonly reason?: string;
  readonly detail?: JsonObject;
  /** Only from these states. @default - any state of a lower rank */
  readonly from?: readonly DeviceCommandState[];
}

/**
 * Moves one outcome forward. Returns the outcome as it was before, or undefined when the move is not
 * allowed (already there or further, or not in `from`): duplicates and late arrivals are no-ops.
 */
export async function transition(
  deps: CommandsDeps,
  input: TransitionInput,
): Promise<OutcomeItem | undefined> {
  const rank = stateRank(input.to);
  const names: Record<string, string> = { '#state': 'state', '#rank': 'rank', '#history': 'history' };
  const values: Record<string, unknown> = {
    ':to': input.to,
    ':rank': rank,
    ':at': input.at,
    ':h': [
      { state: input.to, at: input.at, ...(input.reason ? { reason: input.reason.slice(0, 1024) } : {}) },
    ],
  };
  const sets = ['#state = :to', '#rank = :rank', 'updatedAt = :at', '#history = list_append(#history, :h)'];
  const removes: string[] = [];
  if (input.reason !== undefined) {
    names['#reason'] = 'reason';
    values[':reason'] = input.reason.slice(0, 1024);
    sets.push('#reason = :reason');
  } else {
    removes.push('reason');
  }
  const detail = boundedDetail(input.detail);
  if (detail !== undefined) {
    // As JSON text: the device's keys are data, and the marshaller refuses a `constructor` key and
    // loses a `__proto__` one.
    values[':detail'] = JSON.stringify(detail);
    sets.push('detailJson = :detail');
  }
  let condition = 'attribute_exists(pk) AND #rank < :rank';
  if (input.from !== undefined) {
    const keys = input.from.map((state, i) => {
      values[`:from${i}`] = state;
      return `:from${i}`;
    });
    condition += ` AND #state IN (${keys.join(', ')})`;
  }
  let before: OutcomeItem;
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: input.commandId, sk: outcomeSk(input.deviceId) },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    before = out.Attributes as OutcomeItem;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return undefined;
    throw err;
  }
  const meta = await countTransition(deps, input.commandId, before.state, input.to);
  // A pending item waits for a dispatch (leaving `queued` ends it) or, for a type that awaits its
  // target (a wake), for the target to connect: a bridge's result must not end that wait.
  if (before.held === true && (before.state === 'queued' || TERMINAL_STATES.has(input.to)))
    await deletePending(deps, input.deviceId, input.commandId);
  if (TERMINAL_STATES.has(input.to)) {
    if (meta !== undefined) await settle(deps, meta, input.at);
  }
  return before;
}

/**
 * The counters follow the transition that just landed. A crash between the two writes leaves them
 * one short (the outcome itself is right, and GET /commands/{id} recounts from the outcomes).
 */
async function countTransition(
  deps: StoreDeps,
  commandId: string,
  from: DeviceCommandState,
  to: DeviceCommandState,
): Promise<MetaItem | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: commandId, sk: META_SK },
        UpdateExpression: 'ADD totals.#to :one, totals.#from :minus',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#to': to, '#from': from },
        ExpressionAttributeValues: { ':one': 1, ':minus': -1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as MetaItem;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return undefined;
    throw err;
  }
}

export const terminalCount = (totals: Totals): number =>
  [...TERMINAL_STATES].reduce((sum, state) => sum + (totals[state] ?? 0), 0);

/** Failures that count toward the abort threshold. */
const failedCount = (totals: Totals): number => (totals.failed ?? 0) + (totals['timed-out'] ?? 0);

/**
 * After a terminal transition or the last fan-out page: completes the command when every targeted
 * device is terminal, or aborts it when the rollout's threshold is crossed (as IoT Jobs' abort
 * config: once at least `afterDevices` devices finished, more than `failedPercent` % of them failed).
 */
export async function settle(deps: CommandsDeps, meta: MetaItem, now: number): Promise<void> {
  const active = meta.status === 'fanning-out' || meta.status === 'in-progress';
  if (!active) return;
  const done = terminalCount(meta.totals);
  const abort = meta.rollout?.abort;
  if (abort !== undefined && done >= abort.afterDevices) {
    const failed = failedCount(meta.totals);
    if ((failed * 100) / done > abort.failedPercent) {
      const reason = `aborted: ${failed} of the first ${done} devices failed (threshold ${abort.failedPercent} % after ${abort.afterDevices})`;
      if (await setStatus(deps, meta.commandId, ['fanning-out', 'in-progress'], 'aborted', reason)) {
        await sendOne(deps, 'commandFanout', { kind: 'sweep', commandId: meta.commandId });
      }
      return;
    }
  }
  if (meta.status === 'in-progress' && meta.fanoutDone && done >= meta.targeted) {
    await setStatus(deps, meta.commandId, ['in-progress'], 'completed', undefined, now);
  }
}

/** Moves the command's status; false when it was not in one of `from`. */
export async function setStatus(
  deps: StoreDeps,
  commandId: string,
  from: readonly MetaItem['status'][],
  to: MetaItem['status'],
  reason?: string,
  at = Date.now(),
): Promise<boolean> {
  const values: Record<string, unknown> = { ':to': to, ':at': at };
  const keys = from.map((state, i) => {
    values[`:f${i}`] = state;
    return `:f${i}`;
  });
  if (reason !== undefined) values[':reason'] = reason.slice(0, 1024);
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: commandId, sk: META_SK },
        UpdateExpression: `SET #status = :to, statusAt = :at${reason === undefined ? '' : ', #reason = :reason'}`,
        ConditionExpression: `#status IN (${keys.join(', ')})`,
        ExpressionAttributeNames: {
          '#status': 'status',
          ...(reason === undefined ? {} : { '#reason': 'reason' }),
        },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

/**
 * Remembers that `deviceId` has this command waiting (and marks the outcome `held`, so that leaving
 * `queued` removes the pending item); false when it was remembered already.
 */
export async function putPending(
  deps: StoreDeps,
  deviceId: string,
  item: Omit<PendingItem, 'pk' | 'sk' | 'purgeAt'>,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: {
          pk: pendingPk(deviceId),
          sk: item.commandId,
          ...item,
          purgeAt: Math.ceil((item.expiresAt + RETENTION_MS) / 1000),
        } satisfies PendingItem,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { pk: item.commandId, sk: outcomeSk(deviceId) },
      UpdateExpression: 'SET held = :true',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':true': true },
    }),
  );
  return true;
}

export async function deletePending(deps: StoreDeps, deviceId: string, commandId: string): Promise<void> {
  await deps.ddb.send(
    new DeleteCommand({ TableName: deps.table, Key: { pk: pendingPk(deviceId), sk: commandId } }),
  );
}
