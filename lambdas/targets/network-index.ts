/**
 * A device's IPv4 interfaces, derived from its inventory `network` section (interfaces keyed by
 * name, each with `mac` and `ipv4: ['a.b.c.d/p', ...]`, see agent/inventory/collectors/real.ts), kept
 * as one projection item per device plus one address item per address (device-index.ts).
 *
 * Reindexing is idempotent and safe under concurrent, reordered runs: every write carries the
 * inventory generation it was computed from; the projection put is the commit point (conditional on
 * an older generation), new address items go before it and the addresses it drops are deleted after
 * it, each write conditional on the generation, so the projection with the highest generation wins
 * and its addresses are all present.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JsonObject } from '#protocol/inventory.ts';
import { isJsonObject } from '#protocol/json-object.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import {
  type AddressItem,
  addressPk,
  addressSk,
  batchGet,
  conditional,
  type IndexDeps,
  PROJECTION_SK,
  projectionPk,
} from './device-index.ts';
import { blockOf, formatIpv4, parseIpv4 } from './ipv4.ts';

/** Bounds on what one device's inventory can put in the index (device data is data, not trusted). */
export const MAX_INDEXED_INTERFACES = 32;
export const MAX_ADDRESSES_PER_INTERFACE = 8;
const MAX_NAME_CHARS = 128;
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const NO_MAC = '00:00:00:00:00:00';

export interface Ipv4Assignment {
  /** Host address, dotted. */
  readonly address: string;
  readonly prefix: number;
}

export interface NetInterface {
  readonly name: string;
  /** Lower case, colon separated; absent when the inventory has none (or a malformed one). */
  readonly mac?: string;
  readonly ipv4: readonly Ipv4Assignment[];
  /** A virtual adapter (docker0, a VPN): no Wake-on-LAN through it, no bridge on it. */
  readonly virtual?: boolean;
}

export interface NetworkProjection {
  readonly pk: string;
  readonly sk: typeof PROJECTION_SK;
  readonly deviceId: string;
  /** Inventory generation (meta.gen) the projection was computed from. */
  readonly g: number;
  /** The network section's manifest at that generation ('' when the section is absent): "already indexed?". */
  readonly manifest: string;
  readonly interfaces: readonly NetInterface[];
  readonly indexedAt: number;
}

/** The interfaces of a network section, bounded, with malformed entries left out. */
export function interfacesOf(network: JsonObject | undefined): NetInterface[] {
  const interfaces = network?.interfaces;
  if (!isJsonObject(interfaces)) return [];
  const out: NetInterface[] = [];
  for (const [name, raw] of Object.entries(interfaces)) {
    if (out.length >= MAX_INDEXED_INTERFACES) break;
    if (!isJsonObject(raw) || name.length === 0 || name.length > MAX_NAME_CHARS) continue;
    const mac =
      typeof raw.mac === 'string' && MAC.test(raw.mac)
        ? raw.mac.toLowerCase().replaceAll('-', ':')
        : undefined;
    const ipv4 = (Array.isArray(raw.ipv4) ? raw.ipv4 : [])
      .flatMap((entry) => (typeof entry === 'string' ? [parseAssignment(entry)] : []))
      .filter((a): a is Ipv4Assignment => a !== undefined)
      .slice(0, MAX_ADDRESSES_PER_INTERFACE);
    const virtual = raw.virtual === true || raw.type === 'virtual';
    out.push({
      name,
      ...(mac === undefined || mac === NO_MAC ? {} : { mac }),
      ipv4,
      ...(virtual ? { virtual } : {}),
    });
  }
  return out;
}

/** `a.b.c.d/p` or a bare `a.b.c.d` (a host route, /32); loopback and 0.0.0.0 are not addresses to find a device by. */
function parseAssignment(text: string): Ipv4Assignment | undefined {
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const value = parseIpv4(address);
  if (value === undefined || value === 0 || Math.floor(value / 2 ** 24) === 127) return undefined;
  if (prefixText !== undefined && !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (prefix > 32) return undefined;
  return { address: formatIpv4(value), prefix };
}

/** The address items a projection stands for, one per distinct address. */
export function addressItems(
  deviceId: string,
  interfaces: readonly NetInterface[],
  g: number,
): AddressItem[] {
  const items = new Map<string, AddressItem>();
  for (const iface of interfaces) {
    for (const { address, prefix } of iface.ipv4) {
      const value = parseIpv4(address) as number;
      const sk = addressSk(value, deviceId);
      if (items.has(sk)) continue;
      items.set(sk, {
        pk: addressPk(value),
        sk,
        deviceId,
        iface: iface.name,
        address,
        prefix,
        ...(iface.mac === undefined ? {} : { mac: iface.mac }),
        ...(iface.virtual ? { virtual: true } : {}),
        g,
      });
    }
  }
  return [...items.values()];
}

export async function getProjection(
  deps: IndexDeps,
  deviceId: string,
): Promise<NetworkProjection | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.deviceIndexTable,
      Key: { pk: projectionPk(deviceId), sk: PROJECTION_SK },
      ConsistentRead: true,
    }),
  );
  return out.Item as NetworkProjection | undefined;
}

export async function getProjections(
  deps: IndexDeps,
  deviceIds: Iterable<string>,
): Promise<Map<string, NetworkProjection>> {
  const keys = [...new Set(deviceIds)].map((id) => ({ pk: projectionPk(id), sk: PROJECTION_SK }));
  const items = await batchGet<NetworkProjection>(deps.ddb, deps.deviceIndexTable, keys);
  return new Map(items.map((p) => [p.deviceId, p]));
}

export type ReindexOutcome = 'indexed' | 'unchanged' | 'superseded';

/**
 * Makes the index reflect `network` as of inventory generation `g` (the state that ended up stored):
 * new address items, then the projection, then the dropped addresses. A run computed from an older
 * generation than the stored projection changes nothing (and takes back what it put).
 */
export async function reindexNetwork(
  deps: IndexDeps,
  input: { deviceId: string; g: number; manifest: string; network: JsonObject | undefined; now: number },
): Promise<ReindexOutcome> {
  const { deviceId, g } = input;
  const interfaces = interfacesOf(input.network);
  const wanted = addressItems(deviceId, interfaces, g);
  await Promise.all(
    wanted.map((item) =>
      conditional(
        deps.ddb.send(
          new PutCommand({
            TableName: deps.deviceIndexTable,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR g <= :g',
            ExpressionAttributeValues: { ':g': g },
          }),
        ),
      ),
    ),
  );
  const projection: NetworkProjection = {
    pk: projectionPk(deviceId),
    sk: PROJECTION_SK,
    deviceId,
    g,
    manifest: input.manifest,
    interfaces,
    indexedAt: input.now,
  };
  let replaced: NetworkProjection | undefined;
  try {
    const out = await deps.ddb.send(
      new PutCommand({
        TableName: deps.deviceIndexTable,
        Item: projection,
        ConditionExpression: 'attribute_not_exists(pk) OR g < :g',
        ExpressionAttributeValues: { ':g': g },
        ReturnValues: 'ALL_OLD',
      }),
    );
    replaced = out.Attributes as NetworkProjection | undefined;
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    // A newer (or the same) generation is indexed: take back what this run put that it does not have.
    const current = await getProjection(deps, deviceId);
    const keep = new Set(
      current ? addressItems(deviceId, current.interfaces, current.g).map((i) => i.sk) : [],
    );
    await deleteAddresses(
      deps,
      wanted.filter((item) => !keep.has(item.sk)),
      'g = :g',
      g,
    );
    return current?.g === g ? 'unchanged' : 'superseded';
  }
  const keep = new Set(wanted.map((item) => item.sk));
  const dropped = replaced
    ? addressItems(deviceId, replaced.interfaces, replaced.g).filter((item) => !keep.has(item.sk))
    : [];
  await deleteAddresses(deps, dropped, 'g < :g', g);
  return 'indexed';
}

async function deleteAddresses(
  deps: IndexDeps,
  items: readonly AddressItem[],
  condition: string,
  g: number,
): Promise<void> {
  await Promise.all(
    items.map((item) =>
      conditional(
        deps.ddb.send(
          new DeleteCommand({
            TableName: deps.deviceIndexTable,
            Key: { pk: item.pk, sk: item.sk },
            ConditionExpression: condition,
            ExpressionAttributeValues: { ':g': g },
          }),
        ),
      ),
    ),
  );
}

/** Every (interface, assignment) of a projection whose address lies in `block`, in address order. */
export function assignmentsIn(
  projection: NetworkProjection,
  block: { first: number; last: number },
): Array<{ iface: NetInterface; assignment: Ipv4Assignment; value: number }> {
  return projection.interfaces
    .flatMap((iface) =>
      iface.ipv4.map((assignment) => ({ iface, assignment, value: parseIpv4(assignment.address) as number })),
    )
    .filter(({ value }) => value >= block.first && value <= block.last)
    .sort((a, b) => a.value - b.value);
}

/** The subnet (network CIDR) an assignment belongs to. */
export const subnetOf = (a: Ipv4Assignment): ReturnType<typeof blockOf> =>
  blockOf(parseIpv4(a.address) as number, a.prefix);
