/**
 * Expands a selector into device ids, one page at a time, resumable from an opaque cursor (the
 * command fan-out stores it between pages). Pages come in a stable order; a device may in rare cases
 * appear on two pages (an address index with two of its addresses in the subnet), so consumers that
 * must not act twice dedupe by construction (the fan-out's conditional put per device).
 *
 * This first version resolves `deviceIds` directly and everything else by scanning the devices
 * table; the label and address index (wiring/targets.ts) replaces the scan for group, site, tag and
 * subnet.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Selector } from '#protocol/api/selector.ts';
import type { DeviceItem } from '../devices/device-records.ts';
import { deviceStatus } from '../devices/presence.ts';

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

export async function expandSelectorPage(
  deps: TargetsDeps,
  selector: Selector,
  input: ExpandInput,
): Promise<SelectorPage> {
  if (selector.deviceIds !== undefined) return expandIds(deps, selector, selector.deviceIds, input);
  return expandByScan(deps, selector, input);
}

/** Whether a device record meets every criterion of the selector but `deviceIds`. */
export function deviceMatches(item: DeviceItem, selector: Selector, now: number, graceMs: number): boolean {
  const labels = item.labels ?? {};
  return (
    (selector.group === undefined || labels.group === selector.group) &&
    (selector.site === undefined || labels.site === selector.site) &&
    (selector.tag === undefined || (labels.tags ?? []).includes(selector.tag)) &&
    (selector.status === undefined || deviceStatus(item, now, graceMs) === selector.status) &&
    // Subnet membership needs the inventory: checked by the address index, not the record.
    selector.subnet === undefined
  );
}

async function expandIds(
  deps: TargetsDeps,
  selector: Selector,
  ids: readonly string[],
  input: ExpandInput,
): Promise<SelectorPage> {
  const sorted = [...new Set(ids)].sort();
  const start = input.cursor === undefined ? 0 : sorted.findIndex((id) => id > (input.cursor as string));
  if (start < 0) return { deviceIds: [] };
  const slice = sorted.slice(start, start + Math.min(input.pageSize, 100));
  const found = new Map<string, DeviceItem>();
  let keys: Record<string, unknown>[] | undefined = slice.map((deviceId) => ({ deviceId }));
  while (keys && keys.length > 0) {
    const out = await deps.ddb.send(
      new BatchGetCommand({ RequestItems: { [deps.devicesTable]: { Keys: keys } } }),
    );
    for (const item of (out.Responses?.[deps.devicesTable] ?? []) as DeviceItem[])
      found.set(item.deviceId, item);
    keys = out.UnprocessedKeys?.[deps.devicesTable]?.Keys as Record<string, unknown>[] | undefined;
  }
  const deviceIds = slice.filter((id) => {
    const item = found.get(id);
    return item !== undefined && deviceMatches(item, selector, input.now, input.graceMs);
  });
  const last = slice.at(-1);
  const more = start + slice.length < sorted.length;
  return more && last !== undefined ? { deviceIds, cursor: last } : { deviceIds };
}

async function expandByScan(
  deps: TargetsDeps,
  selector: Selector,
  input: ExpandInput,
): Promise<SelectorPage> {
  const out = await deps.ddb.send(
    new ScanCommand({
      TableName: deps.devicesTable,
      Limit: input.pageSize,
      ...(input.cursor === undefined ? {} : { ExclusiveStartKey: { deviceId: input.cursor } }),
    }),
  );
  const items = (out.Items ?? []) as DeviceItem[];
  const deviceIds = items
    .filter((item) => deviceMatches(item, selector, input.now, input.graceMs))
    .map((item) => item.deviceId);
  const next = out.LastEvaluatedKey?.deviceId;
  return typeof next === 'string' ? { deviceIds, cursor: next } : { deviceIds };
}
