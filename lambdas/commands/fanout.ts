/**
 * The fan-out: one message expands one page of a command's selector. Each device gets its outcome
 * by a conditional put (never twice, even when the selector yields it on two pages), then a dispatch
 * message; the page's cursor and counts land on the meta item by a write conditional on the page
 * number, and a message to the fan-out queue continues with the next page. Resumable by
 * construction: a fan-out that dies half-way is redelivered and redoes at most its one page, whose
 * items it recognises by their page number.
 *
 * Cancel and abort use the same queue: a `sweep` cancels one page of non-terminal outcomes, then
 * continues with the next.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { stateRank, TERMINAL_STATES } from '#protocol/api/commands.ts';
import { expandSelectorPage, type TargetsDeps } from '../targets/selector.ts';
import {
  META_SK,
  type MetaItem,
  OUTCOME_PREFIX,
  type OutcomeItem,
  outcomeSk,
  RETENTION_MS,
} from './items.ts';
import { type DispatchMessage, sendDispatchBatch, sendOne } from './messages.ts';
import { type CommandsDeps, getMeta, getOutcome, settle, transition } from './store.ts';

/** Devices per page: bounded work per invocation (one BatchGet/scan page, 100 puts, 10 batches). */
export const FANOUT_PAGE_SIZE = 100;
/** Conditional puts in flight at once. */
const PUT_CONCURRENCY = 25;

export interface FanoutDeps extends CommandsDeps {
  readonly targets: TargetsDeps;
  readonly graceMs: number;
  readonly now: () => number;
}

export type ExpandResult =
  | { readonly status: 'expanded'; readonly page: number; readonly queued: number; readonly more: boolean }
  | { readonly status: 'stopped'; readonly reason: string };

export async function expandNextPage(deps: FanoutDeps, commandId: string): Promise<ExpandResult> {
  const meta = await getMeta(deps, commandId);
  if (meta === undefined) return { status: 'stopped', reason: 'no such command' };
  if (meta.status !== 'fanning-out' || meta.fanoutDone) {
    return { status: 'stopped', reason: `command is ${meta.status}` };
  }
  const now = deps.now();
  const page = meta.fanoutPage;
  const rate = meta.rollout?.maxPerMinute;
  const pageSize = rate === undefined ? FANOUT_PAGE_SIZE : Math.min(FANOUT_PAGE_SIZE, rate);
  const expanded = await expandSelectorPage(deps.targets, meta.target, {
    ...(meta.fanoutCursor === undefined ? {} : { cursor: meta.fanoutCursor }),
    pageSize,
    now,
    graceMs: deps.graceMs,
  });
  const queued: string[] = [];
  for (let i = 0; i < expanded.deviceIds.length; i += PUT_CONCURRENCY) {
    const chunk = expanded.deviceIds.slice(i, i + PUT_CONCURRENCY);
    const owned = await Promise.all(chunk.map((deviceId) => putOutcome(deps, meta, deviceId, page, now)));
    chunk.forEach((deviceId, j) => {
      if (owned[j]) queued.push(deviceId);
    });
  }
  const entries = queued.map((deviceId, i) => ({
    body: { kind: 'dispatch', commandId, deviceId } satisfies DispatchMessage,
    delaySec: rolloutDelaySec(i, rate),
  }));
  await sendDispatchBatch(deps, entries);
  const more = expanded.cursor !== undefined;
  const advanced = await advance(deps, meta, { page, cursor: expanded.cursor, queued: queued.length, now });
  if (advanced === undefined)
    return { status: 'stopped', reason: `page ${page} was recorded by another run` };
  if (more) {
    await sendOne(deps, 'commandFanout', { kind: 'expand', commandId }, rolloutPageSec(queued.length, rate));
  } else {
    await settle(deps, advanced, now);
  }
  return { status: 'expanded', page, queued: queued.length, more };
}

/**
 * Rollout pacing. The `i`-th device of a page is dispatched `rolloutDelaySec(i, rate)` after the
 * page, whole seconds (SQS `DelaySeconds`), rounded down so no 60-second window holds more than
 * `rate` devices; the next page starts `rolloutPageSec(queued, rate)` later, where this page's
 * spacing would have put its next device. A page holds at most `rate` devices, so both stay within
 * 60 s (SQS allows 900). Integer arithmetic: `i * 60 / rate` in floating steps drifts a second.
 */
export const rolloutDelaySec = (i: number, rate: number | undefined): number =>
  rate === undefined ? 0 : Math.floor((i * 60) / rate);

export const rolloutPageSec = (queued: number, rate: number | undefined): number =>
  rate === undefined ? 0 : Math.ceil((queued * 60) / rate);

/**
 * True when this page owns the device's outcome: put now, or put by an earlier run of this same page
 * (redelivery after a crash). False when an earlier page already has it.
 */
async function putOutcome(
  deps: FanoutDeps,
  meta: MetaItem,
  deviceId: string,
  page: number,
  now: number,
): Promise<boolean> {
  const item: OutcomeItem = {
    pk: meta.commandId,
    sk: outcomeSk(deviceId),
    commandId: meta.commandId,
    deviceId,
    type: meta.type,
    createdAt: meta.createdAt,
    expiresAt: meta.expiresAt,
    state: 'queued',
    rank: stateRank('queued'),
    updatedAt: now,
    history: [{ state: 'queued', at: now }],
    page,
    purgeAt: meta.purgeAt,
  };
  try {
    await deps.ddb.send(
      new PutCommand({ TableName: deps.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return true;
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    const existing = await getOutcome(deps, meta.commandId, deviceId);
    return existing?.page === page;
  }
}

async function advance(
  deps: FanoutDeps,
  meta: MetaItem,
  step: { page: number; cursor: string | undefined; queued: number; now: number },
): Promise<MetaItem | undefined> {
  const last = step.cursor === undefined;
  const values: Record<string, unknown> = {
    ':page': step.page,
    ':next': step.page + 1,
    ':n': step.queued,
    ':done': last,
  };
  const sets = ['fanoutPage = :next', 'fanoutDone = :done'];
  if (!last) {
    values[':cursor'] = step.cursor;
    sets.push('fanoutCursor = :cursor');
  } else if (meta.status === 'fanning-out') {
    values[':progress'] = 'in-progress';
    values[':fanning'] = 'fanning-out';
    // Only out of fanning-out (the condition): a cancel that landed meanwhile keeps its status.
    sets.push('#status = :progress');
  }
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: meta.commandId, sk: META_SK },
        UpdateExpression: `SET ${sets.join(', ')} ADD targeted :n, totals.queued :n${last ? ' REMOVE fanoutCursor' : ''}`,
        ConditionExpression:
          last && meta.status === 'fanning-out'
            ? 'fanoutPage = :page AND #status = :fanning'
            : 'fanoutPage = :page',
        ...(last && meta.status === 'fanning-out'
          ? { ExpressionAttributeNames: { '#status': 'status' } }
          : {}),
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as MetaItem;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) {
      // A cancel between our read and this write: record the page without touching the status.
      if (last && meta.status === 'fanning-out') {
        const current = await getMeta(deps, meta.commandId);
        if (current !== undefined && current.fanoutPage === step.page && current.status !== 'fanning-out') {
          return advance(deps, current, step);
        }
      }
      return undefined;
    }
    throw err;
  }
}

/** Cancels one page of a command's non-terminal outcomes; returns where the next page starts. */
export async function sweepPage(
  deps: FanoutDeps,
  commandId: string,
  after: string | undefined,
): Promise<{ canceled: number; next?: string }> {
  const meta = await getMeta(deps, commandId);
  if (meta === undefined) return { canceled: 0 };
  const reason = meta.reason ?? `command ${meta.status}`;
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': commandId, ':prefix': OUTCOME_PREFIX },
      ...(after === undefined ? {} : { ExclusiveStartKey: { pk: commandId, sk: outcomeSk(after) } }),
      Limit: FANOUT_PAGE_SIZE,
      ConsistentRead: true,
    }),
  );
  const items = (out.Items ?? []) as OutcomeItem[];
  let canceled = 0;
  const now = deps.now();
  for (const item of items) {
    if (TERMINAL_STATES.has(item.state)) continue;
    const before = await transition(deps, {
      commandId,
      deviceId: item.deviceId,
      to: 'canceled',
      at: now,
      reason,
    });
    if (before !== undefined) canceled++;
  }
  const last = items.at(-1);
  return out.LastEvaluatedKey !== undefined && last !== undefined
    ? { canceled, next: last.deviceId }
    : { canceled };
}

export const retentionOf = (expiresAt: number): number => Math.ceil((expiresAt + RETENTION_MS) / 1000);
