/**
 * DynamoDB and S3 access for inventory. Every write asks for ReturnConsumedCapacity so callers can
 * account for (and the benchmark can report) the write units a report really costs.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { JsonObject } from '#protocol/inventory.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import type { StoredPosition } from './decide.ts';
import type { CapacityMeter, InventoryDeps } from './deps.ts';
import { META_SK } from './keys.ts';
import type { SectionChange } from './summary.ts';

/** The pointer to the current state: which version of which shard makes up each section. */
export interface MetaItem extends StoredPosition {
  readonly deviceId: string;
  readonly sk: typeof META_SK;
  readonly epochTag: string;
  /**
   * collectedAt of the full report that started this run of the epoch: the time part of its change
   * keys (keys.ts). Absent on metas written before it existed: their changes are keyed by epochStartedAt.
   */
  readonly epochAt?: number;
  /** Generation: +1 on every flip, across epochs. The compare-and-set token, and what shard slots carry. */
  readonly gen: number;
  readonly collectedAt: number;
  readonly receivedAt: number;
  readonly agentVersion: string;
  /** Section name → encoded SectionManifest (see shards.ts). */
  readonly manifest: Record<string, string>;
  readonly updatedAt: number;
}

export interface ShardItem {
  readonly deviceId: string;
  readonly sk: string;
  /** JSON array of [path, value] entries. */
  readonly data: string;
  /** Generation that wrote this slot. */
  readonly g: number;
  /** Digest of the report that wrote it (a retry of the same report may rewrite it). */
  readonly d: string;
  readonly writtenAt: number;
}

/** A shard the meta pointed to is gone: a concurrent writer moved the state on. Re-read and retry. */
export class StaleReadError extends Error {
  override readonly name = 'StaleReadError';
}

export async function getItem<T>(
  deps: InventoryDeps,
  deviceId: string,
  sk: string,
  meter?: CapacityMeter,
): Promise<T | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { deviceId, sk },
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  meter?.addRead(out.ConsumedCapacity);
  return out.Item as T | undefined;
}

export const getMeta = (deps: InventoryDeps, deviceId: string, meter?: CapacityMeter) =>
  getItem<MetaItem>(deps, deviceId, META_SK, meter);

/** The time part of the change keys of the stored epoch run. */
export const changeEpochAt = (meta: MetaItem): number => meta.epochAt ?? meta.epochStartedAt;

/**
 * Reads shard slots; each must hold the generation the manifest names. A slot that is missing or
 * holds another generation was rewritten after the meta we read was superseded: re-read meta.
 */
export async function readShards(
  deps: InventoryDeps,
  deviceId: string,
  wanted: readonly { sk: string; gen: number }[],
  meter?: CapacityMeter,
): Promise<Map<string, string>> {
  const found = new Map<string, { data: string; g: number }>();
  for (let i = 0; i < wanted.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = wanted
      .slice(i, i + 100)
      .map(({ sk }) => ({ deviceId, sk }));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      const out: BatchGetCommandOutput = await deps.ddb.send(
        new BatchGetCommand({
          RequestItems: { [deps.table]: { Keys: keys, ConsistentRead: true } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter?.addRead(out.ConsumedCapacity);
      for (const item of out.Responses?.[deps.table] ?? []) {
        found.set(item.sk as string, { data: item.data as string, g: item.g as number });
      }
      keys = out.UnprocessedKeys?.[deps.table]?.Keys;
      if (keys && keys.length > 0) await backoff(attempt);
    }
  }
  const result = new Map<string, string>();
  for (const { sk, gen } of wanted) {
    const item = found.get(sk);
    if (item?.g !== gen) throw new StaleReadError(`shard ${sk} no longer holds generation ${gen}`);
    result.set(sk, item.data);
  }
  return result;
}

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

async function batchWrite(
  deps: InventoryDeps,
  requests: WriteRequest[],
  meter?: CapacityMeter,
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let batch: WriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; batch && batch.length > 0; attempt++) {
      const out: BatchWriteCommandOutput = await deps.ddb.send(
        new BatchWriteCommand({ RequestItems: { [deps.table]: batch }, ReturnConsumedCapacity: 'TOTAL' }),
      );
      meter?.addWrite(out.ConsumedCapacity);
      batch = out.UnprocessedItems?.[deps.table] as WriteRequest[] | undefined;
      if (batch && batch.length > 0) await backoff(attempt);
    }
  }
}

const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));

export const putItems = (
  deps: InventoryDeps,
  items: readonly Record<string, unknown>[],
  meter?: CapacityMeter,
) =>
  batchWrite(
    deps,
    items.map((Item) => ({ PutRequest: { Item } })),
    meter,
  );

export const deleteItems = (
  deps: InventoryDeps,
  deviceId: string,
  sks: readonly string[],
  meter?: CapacityMeter,
) =>
  batchWrite(
    deps,
    sks.map((sk) => ({ DeleteRequest: { Key: { deviceId, sk } } })),
    meter,
  );

/** A conditional PutItem; false when the condition failed. */
export async function putIf(
  deps: InventoryDeps,
  item: Record<string, unknown>,
  condition: Pick<
    PutCommandInputLike,
    'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >,
  meter?: CapacityMeter,
): Promise<boolean> {
  try {
    const out = await deps.ddb.send(
      new PutCommand({ TableName: deps.table, Item: item, ReturnConsumedCapacity: 'TOTAL', ...condition }),
    );
    meter?.addWrite(out.ConsumedCapacity);
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) {
      // A failed condition still consumes write capacity in AWS; count one unit.
      meter?.addWrite({ CapacityUnits: 1 });
      return false;
    }
    throw err;
  }
}

interface PutCommandInputLike {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export async function queryPrefix<T>(
  deps: InventoryDeps,
  deviceId: string,
  prefix: string,
  meter?: CapacityMeter,
  extra: Partial<QueryCommandInput> = {},
): Promise<T[]> {
  const items: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        KeyConditionExpression: 'deviceId = :d AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':d': deviceId, ':p': prefix },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
        ExclusiveStartKey: start,
        ...extra,
      }),
    );
    meter?.addRead(out.ConsumedCapacity);
    items.push(...((out.Items ?? []) as T[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * The raw frame, as received: the change history. Written only if absent, so the first report under
 * a sequence keeps its archive: a conflicting report reusing the sequence cannot overwrite it. When
 * an object is already there, `sameReport` says whether it is this report (a redelivery: nothing to
 * do) or another one ('conflict').
 */
export async function archiveReport(
  deps: InventoryDeps,
  key: string,
  raw: Uint8Array,
  sameReport: (archived: Uint8Array) => boolean,
): Promise<'archived' | 'conflict'> {
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucket,
          Key: key,
          Body: raw,
          ContentType: 'application/vnd.fleetpulse.frame',
          IfNoneMatch: '*',
        }),
      );
      return 'archived';
    } catch (err) {
      // 412: the object exists. 409: a concurrent conditional put of the same key is in flight (S3).
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 412 && status !== 409) throw err;
      if (status === 409 && attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        continue;
      }
    }
    const archived = await readArchivedReport(deps, key);
    return sameReport(archived) ? 'archived' : 'conflict';
  }
}

export async function readArchivedReport(deps: InventoryDeps, key: string): Promise<Uint8Array> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  if (!out.Body) throw new Error(`archived report ${key} has no body`);
  return out.Body.transformToByteArray();
}

export type SectionContents = Partial<Record<string, JsonObject>>;

export interface ChangeItem {
  readonly deviceId: string;
  readonly sk: string;
  readonly epoch: string;
  readonly seq: number;
  readonly kind: 'full' | 'diff';
  readonly baseSeq?: number;
  readonly receivedAt: number;
  readonly collectedAt: number;
  readonly agentVersion: string;
  /** Identifies the report content: a different report claiming the same sequence is refused. */
  readonly digest: string;
  readonly sections: Partial<Record<string, SectionChange>>;
  readonly collectorErrors?: readonly { section: string; reason: string }[];
}

export interface PendingItem {
  readonly deviceId: string;
  readonly sk: string;
  readonly epoch: string;
  readonly seq: number;
  readonly baseSeq: number;
  readonly receivedAt: number;
  /** When the cloud started holding it: the gap grace period counts from here, not from publish time. */
  readonly heldAt: number;
  readonly archiveKey: string;
  readonly expiresAt: number;
}
