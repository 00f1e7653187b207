/**
 * Device records in the `devices` table: one item per device. Writes are idempotent by
 * construction — every fact is stored with the timestamp it was received at, and a write only
 * lands if it is newer than what is stored (conditional update), so duplicates and reordered
 * deliveries cannot move a record backwards.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceLabels } from '#protocol/api/labels.ts';
import type {
  AnalyzerStatus,
  Connectivity,
  Heartbeat,
  OutboxStatus,
  UserSession,
} from '#protocol/heartbeat.ts';
import type { LifecycleEvent } from '#protocol/lifecycle.ts';
import { type DeviceStatus, deviceStatus, lastSeenAt } from './presence.ts';

export interface DevicesDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The stored item. */
export interface DeviceItem {
  deviceId: string;
  firstSeenAt?: number;
  lastHeartbeatAt?: number;
  lastConnectedAt?: number;
  lastDisconnectedAt?: number;
  disconnectReason?: string;
  agentVersion?: string;
  platform?: string;
  hostname?: string;
  uptimeSec?: number;
  policyVersion?: number;
  reportSeq?: number;
  reportEpoch?: string;
  sessions?: UserSession[];
  analyzer?: AnalyzerStatus;
  connectivity?: Connectivity;
  outbox?: OutboxStatus;
  sourceIp?: string;
  heartbeatSentAt?: number;
  /** Operator labels (PATCH /devices/{id}). */
  labels?: DeviceLabels;
  /** Bumped by every labels change: their compare-and-set token (lambdas/targets/labels.ts). */
  labelsVersion?: number;
}

/** What the API returns: the stored facts plus the derived status. */
export interface DeviceView extends DeviceItem {
  status: DeviceStatus;
  lastSeenAt?: number;
}

export function toView(item: DeviceItem, now: number, graceMs: number): DeviceView {
  const seen = lastSeenAt(item);
  // labelsVersion is the labels' compare-and-set token: bookkeeping, not a fact about the device.
  const { labelsVersion: _token, ...facts } = item;
  return {
    ...facts,
    status: deviceStatus(item, now, graceMs),
    ...(seen === undefined ? {} : { lastSeenAt: seen }),
  };
}

const isStale = (err: unknown) => err instanceof ConditionalCheckFailedException;

/** Records a heartbeat. Returns false when a newer heartbeat is already stored (this one is dropped). */
export async function recordHeartbeat(
  deps: DevicesDeps,
  input: { deviceId: string; heartbeat: Heartbeat; receivedAt: number; sourceIp?: string },
): Promise<boolean> {
  const { heartbeat: hb } = input;
  const values: Record<string, unknown> = {
    ':at': input.receivedAt,
    ':agentVersion': hb.agentVersion,
    ':uptime': hb.uptimeSec,
    ':policyVersion': hb.policyVersion,
    ':reportSeq': hb.reportSeq,
    ':sessions': hb.sessions,
    ':connectivity': hb.connectivity,
    ':sentAt': hb.sentAt,
  };
  const sets = [
    'lastHeartbeatAt = :at',
    'firstSeenAt = if_not_exists(firstSeenAt, :at)',
    'agentVersion = :agentVersion',
    'uptimeSec = :uptime',
    'policyVersion = :policyVersion',
    'reportSeq = :reportSeq',
    'sessions = :sessions',
    'connectivity = :connectivity',
    'heartbeatSentAt = :sentAt',
  ];
  const optional: Array<[string, unknown]> = [
    ['reportEpoch', hb.reportEpoch],
    ['platform', hb.platform],
    ['hostname', hb.hostname],
    ['analyzer', hb.analyzer],
    ['outbox', hb.outbox],
    ['sourceIp', input.sourceIp],
  ];
  for (const [name, value] of optional) {
    if (value === undefined) continue;
    sets.push(`${name} = :${name}`);
    values[`:${name}`] = value;
  }
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { deviceId: input.deviceId },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_not_exists(lastHeartbeatAt) OR lastHeartbeatAt < :at',
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isStale(err)) return false;
    throw err;
  }
}

/** Records a connect or disconnect lifecycle event; older events than the stored one are dropped. */
export async function recordPresence(deps: DevicesDeps, event: LifecycleEvent): Promise<boolean> {
  const connected = event.eventType === 'connected';
  const attr = connected ? 'lastConnectedAt' : 'lastDisconnectedAt';
  const sets = [`${attr} = :at`, 'firstSeenAt = if_not_exists(firstSeenAt, :at)'];
  const values: Record<string, unknown> = { ':at': event.timestamp };
  if (connected && event.ipAddress) {
    sets.push('sourceIp = if_not_exists(sourceIp, :ip)');
    values[':ip'] = event.ipAddress;
  }
  if (!connected) {
    sets.push('disconnectReason = :reason');
    values[':reason'] = event.disconnectReason ?? 'UNKNOWN';
  }
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { deviceId: event.clientId },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `attribute_not_exists(${attr}) OR ${attr} < :at`,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isStale(err)) return false;
    throw err;
  }
}

export async function getDeviceItem(deps: DevicesDeps, deviceId: string): Promise<DeviceItem | undefined> {
  const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { deviceId } }));
  return out.Item as DeviceItem | undefined;
}

export interface ListFilter {
  readonly status?: DeviceStatus;
  readonly platform?: string;
  readonly agentVersion?: string;
  readonly group?: string;
  readonly site?: string;
  readonly tag?: string;
}

export interface ListPage {
  readonly items: DeviceView[];
  /** Key of the last returned item; pass back to continue. Undefined on the last page. */
  readonly nextKey?: string;
}

/**
 * Scans devices, applying the filter after the derived status is computed. Pages are filled up to
 * `limit` across scan pages; the continuation is the last returned device id, which DynamoDB accepts
 * as ExclusiveStartKey (scan order is stable for a table).
 */
export async function listDevices(
  deps: DevicesDeps,
  input: { filter: ListFilter; limit: number; startAfter?: string; now: number; graceMs: number },
): Promise<ListPage> {
  const items: DeviceView[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined =
    input.startAfter === undefined ? undefined : { deviceId: input.startAfter };
  do {
    const page = await deps.ddb.send(
      new ScanCommand({
        TableName: deps.tableName,
        ExclusiveStartKey: exclusiveStartKey,
        Limit: Math.max(input.limit, 25),
      }),
    );
    for (const raw of (page.Items ?? []) as DeviceItem[]) {
      const view = toView(raw, input.now, input.graceMs);
      if (!matches(view, input.filter)) continue;
      items.push(view);
      if (items.length === input.limit) {
        // More may follow: either later items of this page or later pages.
        const more = raw !== page.Items?.at(-1) || page.LastEvaluatedKey !== undefined;
        return more ? { items, nextKey: raw.deviceId } : { items };
      }
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined);
  return { items };
}

function matches(view: DeviceView, filter: ListFilter): boolean {
  return (
    (filter.status === undefined || view.status === filter.status) &&
    (filter.platform === undefined || view.platform === filter.platform) &&
    (filter.agentVersion === undefined || view.agentVersion === filter.agentVersion) &&
    (filter.group === undefined || view.labels?.group === filter.group) &&
    (filter.site === undefined || view.labels?.site === filter.site) &&
    (filter.tag === undefined || (view.labels?.tags ?? []).includes(filter.tag))
  );
}
