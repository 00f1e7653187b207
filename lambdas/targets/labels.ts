/**
 * Operator labels on the device record, and their membership items in the device index.
 *
 * The record is the truth. A change puts the membership items it adds first, then writes the record
 * (compare-and-set on `labelsVersion`, so two concurrent changes cannot lose one another), then
 * deletes the items it removes. Each index item carries the labels version that wrote it and each
 * index write is conditional on it, so a slow writer can neither lower nor delete an item a newer
 * version needs. A crash can leave an extra item behind, never miss one: readers check the record.
 * Heartbeat and presence writes SET only their own attributes, so they never touch `labels`.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceLabels, PatchDeviceLabels } from '#protocol/api/labels.ts';
import { isConditionalCheckFailed, NotFoundError } from '../commons/errors.ts';
import type { DeviceItem } from '../devices/device-records.ts';
import { deleteLabelItem, labelPartitions, putLabelItem } from './device-index.ts';

export interface LabelsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly devicesTable: string;
  readonly deviceIndexTable: string;
}

/** A merge-patch of labels: a value replaces, `null` removes, an absent field stays; tags are a set. */
export function mergeLabels(current: DeviceLabels | undefined, patch: PatchDeviceLabels): DeviceLabels {
  const next: DeviceLabels = { ...current };
  for (const key of ['group', 'site'] as const) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  if (patch.tags === null) delete next.tags;
  else if (patch.tags !== undefined) next.tags = [...new Set(patch.tags)].sort();
  if (next.tags?.length === 0) delete next.tags;
  return next;
}

const MAX_ATTEMPTS = 10;

/** Applies the patch; the updated record, or NotFoundError for a device the registry does not know. */
export async function patchDeviceLabels(
  deps: LabelsDeps,
  deviceId: string,
  patch: PatchDeviceLabels,
): Promise<DeviceItem> {
  const index = { ddb: deps.ddb, deviceIndexTable: deps.deviceIndexTable };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const out = await deps.ddb.send(
      new GetCommand({ TableName: deps.devicesTable, Key: { deviceId }, ConsistentRead: true }),
    );
    const item = out.Item as DeviceItem | undefined;
    if (!item) throw new NotFoundError(`device ${deviceId} is not known`);
    const version = item.labelsVersion ?? 0;
    const next = mergeLabels(item.labels, patch);
    const target = version + 1;
    const before = new Set(labelPartitions(item.labels));
    const after = new Set(labelPartitions(next));
    await Promise.all(
      [...after].filter((pk) => !before.has(pk)).map((pk) => putLabelItem(index, pk, deviceId, target)),
    );
    let updated: DeviceItem;
    try {
      const written = await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.devicesTable,
          Key: { deviceId },
          UpdateExpression: 'SET labels = :labels, labelsVersion = :target',
          ConditionExpression:
            version === 0
              ? 'attribute_exists(deviceId) AND attribute_not_exists(labelsVersion)'
              : 'labelsVersion = :version',
          ExpressionAttributeValues: {
            ':labels': next,
            ':target': target,
            ...(version === 0 ? {} : { ':version': version }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      updated = written.Attributes as DeviceItem;
    } catch (err) {
      // Another change landed first (or the record went away): read again and redo on top of it.
      if (isConditionalCheckFailed(err)) continue;
      throw err;
    }
    await Promise.all(
      [...before].filter((pk) => !after.has(pk)).map((pk) => deleteLabelItem(index, pk, deviceId, target)),
    );
    return updated;
  }
  throw new Error(`labels of ${deviceId} kept changing under this update; retry`);
}
