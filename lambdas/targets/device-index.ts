/**
 * The deviceIndex table (wiring/targets.ts): derived items that let selectors and the Wake-on-LAN
 * bridge search find devices without scanning the fleet.
 *
 *   label membership   pk `group#<v>` | `site#<v>` | `tag#<v>`   sk deviceId              v (labels version)
 *   IPv4 address       pk `ip4#<first octet>`                  sk `<padded address>#<deviceId>`
 *                      with deviceId, iface, mac, prefix, virtual, g (inventory generation)
 *   network projection pk `net#<deviceId>`                     sk `net`
 *                      the device's interfaces as last indexed, g, and the network manifest it came from
 *
 * Nothing here is the truth. Labels live on the device record, addresses in the inventory; the
 * projection is the commit point of an address reindex. Readers check every candidate against the
 * record (labels) or the projection (addresses), so an item left behind by a crash is ignored, never
 * believed. Writers put new items before the record/projection and delete old ones after, each write
 * conditional on the version it carries, so a slow writer can neither lower an item nor delete one a
 * newer writer needs.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DeviceLabels } from '#protocol/api/labels.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import { firstOctet, type Ipv4Block, paddedIpv4 } from './ipv4.ts';

export interface IndexDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly deviceIndexTable: string;
}

export type LabelKind = 'group' | 'site' | 'tag';

export const labelPk = (kind: LabelKind, value: string): string => `${kind}#${value}`;
export const addressPk = (address: number): string => `ip4#${firstOctet(address)}`;
export const addressSk = (address: number, deviceId: string): string => `${paddedIpv4(address)}#${deviceId}`;
export const projectionPk = (deviceId: string): string => `net#${deviceId}`;
export const PROJECTION_SK = 'net';

/** The membership partitions a device's labels put it in. */
export function labelPartitions(labels: DeviceLabels | undefined): string[] {
  if (!labels) return [];
  return [
    ...(labels.group === undefined ? [] : [labelPk('group', labels.group)]),
    ...(labels.site === undefined ? [] : [labelPk('site', labels.site)]),
    ...[...new Set(labels.tags ?? [])].map((tag) => labelPk('tag', tag)),
  ];
}

/** Puts a membership item unless a newer labels version already wrote it (then it is there anyway). */
export async function putLabelItem(deps: IndexDeps, pk: string, deviceId: string, v: number): Promise<void> {
  await conditional(
    deps.ddb.send(
      new PutCommand({
        TableName: deps.deviceIndexTable,
        Item: { pk, sk: deviceId, v },
        ConditionExpression: 'attribute_not_exists(pk) OR v <= :v',
        ExpressionAttributeValues: { ':v': v },
      }),
    ),
  );
}

/** Deletes a membership item the labels version `v` no longer has, unless a newer version re-added it. */
export async function deleteLabelItem(
  deps: IndexDeps,
  pk: string,
  deviceId: string,
  v: number,
): Promise<void> {
  await conditional(
    deps.ddb.send(
      new DeleteCommand({
        TableName: deps.deviceIndexTable,
        Key: { pk, sk: deviceId },
        ConditionExpression: 'v < :v',
        ExpressionAttributeValues: { ':v': v },
      }),
    ),
  );
}

/** A condition that does not hold means a newer writer got there first: nothing to do. */
export async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

export interface IndexPage<T> {
  readonly items: T[];
  /** The sort key to continue after; absent on the last page. */
  readonly after?: string;
}

/** One page of a label partition: device ids in id order. */
export async function queryLabel(
  deps: IndexDeps,
  pk: string,
  page: { after?: string; limit: number },
): Promise<IndexPage<string>> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.deviceIndexTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      Limit: page.limit,
      ...(page.after === undefined ? {} : { ExclusiveStartKey: { pk, sk: page.after } }),
    }),
  );
  const items = (out.Items ?? []).map((item) => String(item.sk));
  const last = out.LastEvaluatedKey?.sk;
  return typeof last === 'string' ? { items, after: last } : { items };
}

/** An address item: one IPv4 address of one interface of one device. */
export interface AddressItem {
  readonly pk: string;
  readonly sk: string;
  readonly deviceId: string;
  readonly iface: string;
  readonly address: string;
  readonly prefix: number;
  readonly mac?: string;
  readonly virtual?: boolean;
  /** Inventory generation the item was written from. */
  readonly g: number;
}

/**
 * One page of the addresses in `block`, in address order. A block of /8 or longer lies in one
 * first-octet partition, so this is one Query per page.
 */
export async function queryAddresses(
  deps: IndexDeps,
  block: Ipv4Block,
  page: { after?: string; limit: number },
): Promise<IndexPage<AddressItem>> {
  const pk = addressPk(block.first);
  if (addressPk(block.last) !== pk) throw new RangeError('an address block wider than /8 spans partitions');
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.deviceIndexTable,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      // Device ids are [A-Za-z0-9_-]: '~' sorts after all of them.
      ExpressionAttributeValues: {
        ':pk': pk,
        ':lo': `${paddedIpv4(block.first)}#`,
        ':hi': `${paddedIpv4(block.last)}#~`,
      },
      Limit: page.limit,
      ...(page.after === undefined ? {} : { ExclusiveStartKey: { pk, sk: page.after } }),
    }),
  );
  const items = (out.Items ?? []) as AddressItem[];
  const last = out.LastEvaluatedKey?.sk;
  return typeof last === 'string' ? { items, after: last } : { items };
}

/** Items by key, BatchGet in chunks of 100, unprocessed keys retried. */
export async function batchGet<T>(
  ddb: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
      const out = await ddb.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
      found.push(...((out.Responses?.[table] ?? []) as T[]));
      pending = out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}
