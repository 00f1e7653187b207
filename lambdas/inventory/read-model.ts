/**
 * The operator API's inventory routes, as plain functions: `GET /devices/{id}/inventory` and
 * `GET /devices/{id}/inventory/changes`. They return plain objects and throw NotFoundError /
 * BadRequestError; the API handler maps those to HTTP.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { decodeCursor, encodeCursor } from '#lambdas/commons/cursor.ts';
import { BadRequestError, NotFoundError } from '#lambdas/commons/errors.ts';
import { isDeviceId } from '#protocol/ids.ts';
import { type JsonObject, SECTION_NAMES, type SectionName } from '#protocol/inventory.ts';
import type { InventoryDeps } from './deps.ts';
import { archiveKey, CHANGE_PREFIX, CHANGE_SK_PATTERN } from './keys.ts';
import { type ChangeItem, getMeta, StaleReadError } from './persistence.ts';
import { readState } from './read.ts';
import type { SectionChange } from './summary.ts';

export interface InventoryView {
  readonly deviceId: string;
  readonly epoch: string;
  /** Sequence of the last report the state reflects. */
  readonly seq: number;
  /** When the device collected that report (device clock). */
  readonly collectedAt: number;
  /** When the cloud received it (broker clock). */
  readonly receivedAt: number;
  readonly updatedAt: number;
  readonly sections: Partial<Record<SectionName, JsonObject>>;
}

function requireDeviceId(deviceId: string): void {
  if (!isDeviceId(deviceId)) throw new BadRequestError(`invalid device id: ${deviceId}`);
}

/** `?sections=software,os` (or an array of names) → validated names; undefined = all sections. */
export function parseSectionSelection(sections?: string | readonly string[]): SectionName[] | undefined {
  if (sections === undefined) return undefined;
  const names = (typeof sections === 'string' ? sections.split(',') : sections).map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === '')) {
    throw new BadRequestError('sections must be a comma-separated list of section names');
  }
  const unknown = names.filter((n) => !(SECTION_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new BadRequestError(`unknown section(s) ${unknown.join(', ')}; known: ${SECTION_NAMES.join(', ')}`);
  }
  return [...new Set(names)] as SectionName[];
}

/** The whole stored inventory, or the selected sections, as one consistent snapshot. */
export async function getInventory(
  deps: InventoryDeps,
  deviceId: string,
  sections?: string | readonly string[],
): Promise<InventoryView> {
  requireDeviceId(deviceId);
  const selected = parseSectionSelection(sections);
  // Shards are immutable and meta is the only pointer: a shard vanishing under us means a newer
  // version was committed meanwhile; read again from the new meta.
  for (let attempt = 0; attempt < 5; attempt++) {
    const meta = await getMeta(deps, deviceId);
    if (!meta) throw new NotFoundError(`no inventory for device ${deviceId}`);
    try {
      const state = await readState(deps, meta, selected);
      return {
        deviceId,
        epoch: meta.epoch,
        seq: meta.seq,
        collectedAt: meta.collectedAt,
        receivedAt: meta.receivedAt,
        updatedAt: meta.updatedAt,
        sections: state as InventoryView['sections'],
      };
    } catch (err) {
      if (!(err instanceof StaleReadError)) throw err;
    }
  }
  throw new Error(`inventory of ${deviceId} is changing too fast to read; retry`);
}

/** A change as the API serves it: the stored change item without its keys and digest, with counts. */
export type InventoryChange = Omit<ChangeItem, 'deviceId' | 'sk' | 'digest' | 'sections'> & {
  /** Per section touched: keys (paths joined with '/') added, removed, changed, and how many of each. */
  readonly sections: Partial<
    Record<string, SectionChange & { counts: { added: number; removed: number; changed: number } }>
  >;
  /** S3 key of the raw report in the archive bucket. */
  readonly archiveKey: string;
};

export interface InventoryChangesPage {
  readonly deviceId: string;
  readonly changes: readonly InventoryChange[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
}

export const DEFAULT_CHANGES_LIMIT = 20;
export const MAX_CHANGES_LIMIT = 100;

function parseLimit(limit: number | string | undefined): number {
  if (limit === undefined || limit === '') return DEFAULT_CHANGES_LIMIT;
  const n = typeof limit === 'number' ? limit : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHANGES_LIMIT) {
    throw new BadRequestError(`limit must be an integer from 1 to ${MAX_CHANGES_LIMIT}`);
  }
  return n;
}

/** A change item's sort key, as changeSk (keys.ts) writes it: the only key a changes cursor may name. */
const ChangesCursorSchema = z.object({ sk: z.string().regex(CHANGE_SK_PATTERN) }).strict();
const changesCursorScope = (deviceId: string): string => `GET /devices/${deviceId}/inventory/changes`;

/** What changed on a device and when, newest first. */
export async function listInventoryChanges(
  deps: InventoryDeps,
  deviceId: string,
  options: { limit?: number | string; cursor?: string } = {},
): Promise<InventoryChangesPage> {
  requireDeviceId(deviceId);
  const limit = parseLimit(options.limit);
  const startSk =
    options.cursor === undefined || options.cursor === ''
      ? undefined
      : decodeCursor(ChangesCursorSchema, options.cursor, changesCursorScope(deviceId)).sk;
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      KeyConditionExpression: 'deviceId = :d AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':d': deviceId, ':p': CHANGE_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
      ...(startSk ? { ExclusiveStartKey: { deviceId, sk: startSk } } : {}),
    }),
  );
  const items = (out.Items ?? []) as ChangeItem[];
  if (items.length === 0 && startSk === undefined && !(await getMeta(deps, deviceId))) {
    throw new NotFoundError(`no inventory for device ${deviceId}`);
  }
  const last = out.LastEvaluatedKey?.sk;
  return {
    deviceId,
    changes: items.map((item) => toChange(deviceId, item)),
    ...(typeof last === 'string'
      ? { nextCursor: encodeCursor(changesCursorScope(deviceId), { sk: last }) }
      : {}),
  };
}

function toChange(deviceId: string, item: ChangeItem): InventoryChange {
  const sections: InventoryChange['sections'] = {};
  for (const [name, change] of Object.entries(item.sections)) {
    if (!change) continue;
    sections[name] = {
      ...change,
      counts: {
        added: change.added.length + (change.more?.added ?? 0),
        removed: change.removed.length + (change.more?.removed ?? 0),
        changed: change.changed.length + (change.more?.changed ?? 0),
      },
    };
  }
  return {
    epoch: item.epoch,
    seq: item.seq,
    kind: item.kind,
    ...(item.baseSeq === undefined ? {} : { baseSeq: item.baseSeq }),
    receivedAt: item.receivedAt,
    collectedAt: item.collectedAt,
    agentVersion: item.agentVersion,
    sections,
    ...(item.collectorErrors ? { collectorErrors: item.collectorErrors } : {}),
    archiveKey: archiveKey(deviceId, item.epoch, item.seq),
  };
}
