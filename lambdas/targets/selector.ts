/**
 * Expands a selector into device ids, one page at a time, resumable from an opaque cursor (the
 * command fan-out stores it between pages). Every criterion holds (AND); one of them is the source
 * the candidates come from, in this order of preference:
 *
 *   deviceIds          the ids given, sorted
 *   subnet             the address index, one Query BETWEEN over the block (device-index.ts)
 *   group, site, tag   the label's membership partition
 *   status / all       a scan of the devices table
 *
 * Every candidate is then checked against the truth — the device record for labels and status, the
 * network projection for the subnet — so an index item left behind by a crash never selects a device.
 * Pages come in the source's stable order and the cursor names the source and the last key read, so
 * a page resumes exactly where the previous one stopped: no device lost, none twice (a device with
 * several addresses in the subnet is emitted at its lowest one only).
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Selector } from '#protocol/api/selector.ts';
import type { DeviceItem } from '../devices/device-records.ts';
import { deviceStatus } from '../devices/presence.ts';
import { batchGet, type IndexDeps, labelPk, queryAddresses, queryLabel } from './device-index.ts';
import { type Ipv4Block, parseCidr } from './ipv4.ts';
import { assignmentsIn, getProjections, type NetworkProjection } from './network-index.ts';

export interface TargetsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly devicesTable: string;
  readonly deviceIndexTable: string;
}

export interface ExpandInput {
  /** From the previous page; absent for the first. */
  readonly cursor?: string;
  /** At most this many ids per page (a page may hold fewer and still not be the last). */
  readonly pageSize: number;
  readonly now: number;
  /** Offline grace for the `status` criterion. */
  readonly graceMs: number;
}

export interface SelectorPage {
  readonly deviceIds: string[];
  /** Pass back for the next page; absent on the last. */
  readonly cursor?: string;
}

/** A cursor that was not issued for this selector's source (or is not a cursor at all). */
export class SelectorCursorError extends Error {
  override readonly name = 'SelectorCursorError';
}

type Source = 'ids' | 'subnet' | 'group' | 'site' | 'tag' | 'scan';

export function sourceOf(selector: Selector): Source {
  if (selector.deviceIds !== undefined) return 'ids';
  if (selector.subnet !== undefined) return 'subnet';
  if (selector.group !== undefined) return 'group';
  if (selector.site !== undefined) return 'site';
  if (selector.tag !== undefined) return 'tag';
  return 'scan';
}

export async function expandSelectorPage(
  deps: TargetsDeps,
  selector: Selector,
  input: ExpandInput,
): Promise<SelectorPage> {
  const source = sourceOf(selector);
  const after = input.cursor === undefined ? undefined : decodeSelectorCursor(input.cursor, source);
  const limit = Math.max(1, Math.floor(input.pageSize));
  const page = await readSource(deps, selector, source, after, limit);
  const deviceIds = await checkCandidates(deps, selector, page.candidates, input);
  return page.after === undefined
    ? { deviceIds }
    : { deviceIds, cursor: encodeSelectorCursor(source, page.after) };
}

/** Whether a device meets every criterion of the selector but `deviceIds` (subnet: by its projection). */
export function deviceMatches(
  item: DeviceItem,
  selector: Selector,
  now: number,
  graceMs: number,
  network?: NetworkProjection,
): boolean {
  const labels = item.labels ?? {};
  return (
    (selector.group === undefined || labels.group === selector.group) &&
    (selector.site === undefined || labels.site === selector.site) &&
    (selector.tag === undefined || (labels.tags ?? []).includes(selector.tag)) &&
    (selector.status === undefined || deviceStatus(item, now, graceMs) === selector.status) &&
    (selector.subnet === undefined || (network !== undefined && inSubnet(network, selector.subnet)))
  );
}

const inSubnet = (network: NetworkProjection, subnet: string): boolean => {
  const block = parseCidr(subnet);
  return block !== undefined && assignmentsIn(network, block).length > 0;
};

/** A candidate: the device, and for the subnet source the address it was found at. */
interface Candidate {
  readonly deviceId: string;
  readonly address?: string;
}

interface SourcePage {
  readonly candidates: readonly Candidate[];
  readonly after?: string;
}

async function readSource(
  deps: TargetsDeps,
  selector: Selector,
  source: Source,
  after: string | undefined,
  limit: number,
): Promise<SourcePage> {
  const index: IndexDeps = deps;
  switch (source) {
    case 'ids': {
      const sorted = [...new Set(selector.deviceIds)].sort();
      const rest = after === undefined ? sorted : sorted.filter((id) => id > after);
      const slice = rest.slice(0, limit);
      const last = slice.at(-1);
      return {
        candidates: slice.map((deviceId) => ({ deviceId })),
        ...(rest.length > slice.length && last !== undefined ? { after: last } : {}),
      };
    }
    case 'subnet': {
      const page = await queryAddresses(index, subnetBlock(selector.subnet as string), {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      return {
        candidates: page.items.map((item) => ({ deviceId: item.deviceId, address: item.address })),
        ...(page.after === undefined ? {} : { after: page.after }),
      };
    }
    case 'group':
    case 'site':
    case 'tag': {
      const page = await queryLabel(index, labelPk(source, selector[source] as string), {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      return {
        candidates: page.items.map((deviceId) => ({ deviceId })),
        ...(page.after === undefined ? {} : { after: page.after }),
      };
    }
    case 'scan': {
      const out = await deps.ddb.send(
        new ScanCommand({
          TableName: deps.devicesTable,
          Limit: limit,
          ...(after === undefined ? {} : { ExclusiveStartKey: { deviceId: after } }),
        }),
      );
      const next = out.LastEvaluatedKey?.deviceId;
      return {
        candidates: ((out.Items ?? []) as DeviceItem[]).map((item) => ({ deviceId: item.deviceId })),
        ...(typeof next === 'string' ? { after: next } : {}),
      };
    }
  }
}

function subnetBlock(subnet: string): Ipv4Block {
  const block = parseCidr(subnet);
  if (!block || block.prefix < 8)
    throw new RangeError(`subnet ${subnet} is not an IPv4 CIDR of /8 or longer`);
  return block;
}

/** The candidates that meet the whole selector, by their records (and projections), in candidate order. */
async function checkCandidates(
  deps: TargetsDeps,
  selector: Selector,
  candidates: readonly Candidate[],
  input: ExpandInput,
): Promise<string[]> {
  if (candidates.length === 0) return [];
  const ids = [...new Set(candidates.map((c) => c.deviceId))];
  const [records, projections] = await Promise.all([
    batchGet<DeviceItem>(
      deps.ddb,
      deps.devicesTable,
      ids.map((deviceId) => ({ deviceId })),
    ),
    selector.subnet === undefined
      ? Promise.resolve(new Map<string, NetworkProjection>())
      : getProjections(deps, ids),
  ]);
  const byId = new Map(records.map((item) => [item.deviceId, item]));
  const block = selector.subnet === undefined ? undefined : subnetBlock(selector.subnet);
  const selected: string[] = [];
  for (const candidate of candidates) {
    const item = byId.get(candidate.deviceId);
    const network = projections.get(candidate.deviceId);
    if (!item || !deviceMatches(item, selector, input.now, input.graceMs, network)) continue;
    // Found through an address: only at the device's lowest address in the block, so exactly once.
    if (candidate.address !== undefined && block && network) {
      if (assignmentsIn(network, block)[0]?.assignment.address !== candidate.address) continue;
    }
    if (selected.at(-1) !== candidate.deviceId) selected.push(candidate.deviceId);
  }
  return selected;
}

export function encodeSelectorCursor(source: Source, after: string): string {
  return Buffer.from(JSON.stringify({ s: source, k: after }), 'utf8').toString('base64url');
}

function decodeSelectorCursor(cursor: string, source: Source): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new SelectorCursorError('not a selector cursor');
  }
  const { s, k } = (typeof value === 'object' && value !== null ? value : {}) as { s?: unknown; k?: unknown };
  if (s !== source || typeof k !== 'string' || k === '') {
    throw new SelectorCursorError(`the cursor was not issued for this selector (source ${source})`);
  }
  return k;
}
