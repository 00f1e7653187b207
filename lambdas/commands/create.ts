/**
 * Creating a command: validated input in, a meta item and the first fan-out message out. With a
 * client token the creation is idempotent by construction: a `token#` item names the command it
 * created and a hash of the request; the same token with the same request returns that command
 * (and makes sure its fan-out started), with another request it is a conflict.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateCommand } from '#protocol/api/commands.ts';
import { BadRequestError, ConflictError, isConditionalCheckFailed } from '../commons/errors.ts';
import { LIST_KEY, META_SK, type MetaItem, RETENTION_MS, tokenPk, zeroTotals } from './items.ts';
import { sendOne } from './messages.ts';
import { type CommandsDeps, getMeta } from './store.ts';
import { availableCommandTypes, commandType } from './types/index.ts';

export interface CreateDeps extends CommandsDeps {
  readonly devicesTable: string;
  readonly now: () => number;
}

/** Time-sortable: base-36 milliseconds, then randomness. */
export function newCommandId(now: number): string {
  const time = now.toString(36).padStart(9, '0');
  const random = [...randomBytes(10)].map((b) => (b % 36).toString(36)).join('');
  return `cmd-${time}${random}`;
}

const requestHash = (input: CreateCommand): string =>
  createHash('sha256').update(JSON.stringify(input)).digest('base64url');

export async function createCommand(
  deps: CreateDeps,
  input: CreateCommand,
): Promise<{ meta: MetaItem; created: boolean }> {
  if (commandType(input.type) === undefined) {
    throw new BadRequestError(
      `command type '${input.type}' is not available yet; available: ${availableCommandTypes().join(', ')}`,
    );
  }
  if (input.type === 'wake' && input.params.mac !== undefined) refuseSharedMac(input.target);
  if (input.target.deviceIds !== undefined) await refuseUnknownDevices(deps, input.target.deviceIds);
  const now = deps.now();
  let commandId = newCommandId(now);
  if (input.clientToken !== undefined) {
    const claimed = await claimToken(deps, input, input.clientToken, commandId, now);
    commandId = claimed.commandId;
    const existing = await getMeta(deps, commandId);
    if (existing !== undefined) {
      await startFanout(deps, existing);
      return { meta: existing, created: false };
    }
    // The earlier request died between the token and the meta item: finish its work.
  }
  const meta: MetaItem = {
    pk: commandId,
    sk: META_SK,
    listKey: LIST_KEY,
    commandId,
    type: input.type,
    target: input.target,
    params: input.params,
    status: 'fanning-out',
    createdAt: now,
    expiresAt: now + input.expiresInSec * 1000,
    ...(input.clientToken === undefined ? {} : { clientToken: input.clientToken }),
    ...(input.rollout === undefined ? {} : { rollout: input.rollout }),
    targeted: 0,
    totals: zeroTotals(),
    fanoutPage: 0,
    fanoutDone: false,
    purgeAt: Math.ceil((now + input.expiresInSec * 1000 + RETENTION_MS) / 1000),
  };
  try {
    await deps.ddb.send(
      new PutCommand({ TableName: deps.table, Item: meta, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    const existing = await getMeta(deps, commandId);
    if (existing === undefined) throw err;
    await startFanout(deps, existing);
    return { meta: existing, created: false };
  }
  await startFanout(deps, meta);
  return { meta, created: true };
}

/** Duplicate expand messages are harmless (the fan-out is page-numbered), a missing one is not. */
async function startFanout(deps: CreateDeps, meta: MetaItem): Promise<void> {
  if (meta.status === 'fanning-out' && meta.fanoutPage === 0) {
    await sendOne(deps, 'commandFanout', { kind: 'expand', commandId: meta.commandId });
  }
}

async function claimToken(
  deps: CreateDeps,
  input: CreateCommand,
  clientToken: string,
  commandId: string,
  now: number,
): Promise<{ commandId: string }> {
  const hash = requestHash(input);
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: {
          pk: tokenPk(clientToken),
          sk: 'token',
          commandId,
          requestHash: hash,
          createdAt: now,
          purgeAt: Math.ceil((now + RETENTION_MS) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { commandId };
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
  }
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { pk: tokenPk(clientToken), sk: 'token' },
      ConsistentRead: true,
    }),
  );
  const item = out.Item as { commandId: string; requestHash: string } | undefined;
  if (item === undefined)
    throw new ConflictError('client token is being used by a concurrent request; retry');
  if (item.requestHash !== hash) {
    throw new ConflictError(
      `client token '${clientToken}' was used for command ${item.commandId} with a different request`,
    );
  }
  return { commandId: item.commandId };
}

/** An operator naming devices wants to know which ones do not exist, rather than a silent skip. */
/** One MAC cannot be every device's: `params.mac` is for a selector of exactly one device id. */
function refuseSharedMac(target: CreateCommand['target']): void {
  const single = Object.keys(target).length === 1 && new Set(target.deviceIds ?? []).size === 1;
  if (!single) {
    throw new BadRequestError(
      'params.mac is only for a wake of a single device: target must be {deviceIds: [one id]}',
    );
  }
}

async function refuseUnknownDevices(deps: CreateDeps, deviceIds: readonly string[]): Promise<void> {
  const unique = [...new Set(deviceIds)];
  const found = new Set<string>();
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((deviceId) => ({ deviceId }));
    while (keys !== undefined && keys.length > 0) {
      const out = await deps.ddb.send(
        new BatchGetCommand({
          RequestItems: { [deps.devicesTable]: { Keys: keys, ProjectionExpression: 'deviceId' } },
        }),
      );
      for (const item of out.Responses?.[deps.devicesTable] ?? []) found.add(String(item.deviceId));
      keys = out.UnprocessedKeys?.[deps.devicesTable]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  const unknown = unique.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 20).join(', ');
    const more = unknown.length > 20 ? ` and ${unknown.length - 20} more` : '';
    throw new BadRequestError(`unknown device ids in target.deviceIds: ${shown}${more}`);
  }
}
