/**
 * Asking a device for a full report, and deciding when to. The request is rate-limited per device
 * with a conditional write on the `resync` item, and its command id is deterministic per device,
 * stored position and time window, so duplicate publishes collapse on the agent.
 */
import { createHash } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ResyncCommandSchema } from '#protocol/commands.ts';
import { topics } from '#protocol/topics.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import { type CapacityMeter, type InventoryDeps, settingsOf } from './deps.ts';
import { epochTag, PENDING_PREFIX, RESYNC_SK } from './keys.ts';
import { getItem, getMeta, queryPrefix } from './persistence.ts';

export interface ResyncItem {
  readonly deviceId: string;
  readonly sk: typeof RESYNC_SK;
  readonly requestedAt?: number;
  readonly commandId?: string;
  readonly reason?: string;
  /** Set once the command went out; until then a retry of the same request may publish it. */
  readonly publishedAt?: number;
  /** Stored position (`<epochTag>:<seq>`) at which a lag behind the device was first seen. */
  readonly lagFrom?: string;
  readonly lagSince?: number;
}

export type ResyncOutcome = 'resync-requested' | 'resync-rate-limited';

export async function requestResync(
  deps: InventoryDeps,
  deviceId: string,
  request: { reason: string; deviceEpoch?: string | undefined; storedSeq: number | null },
  meter?: CapacityMeter,
): Promise<ResyncOutcome> {
  const now = deps.now();
  const { resyncIntervalMs } = settingsOf(deps);
  const window = Math.floor(now / resyncIntervalMs);
  const commandId = `resync-${createHash('sha256')
    .update(`${deviceId}|${request.deviceEpoch ?? ''}|${request.storedSeq ?? ''}|${window}`)
    .digest('base64url')
    .slice(0, 22)}`;
  try {
    // The same request whose publish failed (same command id, never marked published) may try again.
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { deviceId, sk: RESYNC_SK },
        UpdateExpression: 'SET requestedAt = :now, commandId = :cid, #reason = :reason REMOVE publishedAt',
        ExpressionAttributeNames: { '#reason': 'reason' },
        ConditionExpression:
          'attribute_not_exists(requestedAt) OR requestedAt <= :cutoff OR (commandId = :cid AND attribute_not_exists(publishedAt))',
        ExpressionAttributeValues: {
          ':now': now,
          ':cid': commandId,
          ':reason': request.reason.slice(0, 512),
          ':cutoff': now - resyncIntervalMs,
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter?.addWrite(out.ConsumedCapacity);
  } catch (err) {
    if (isConditionalCheckFailed(err)) return 'resync-rate-limited';
    throw err;
  }
  const command = ResyncCommandSchema.parse({
    commandId,
    issuedAt: now,
    expiresAt: now + resyncIntervalMs,
    type: 'resync',
    reason: request.reason.slice(0, 512),
    storedSeq: request.storedSeq,
  });
  await deps.publish(topics.command(deviceId), JSON.stringify(command));
  const marked = await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { deviceId, sk: RESYNC_SK },
      UpdateExpression: 'SET publishedAt = :now',
      ExpressionAttributeValues: { ':now': now },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  meter?.addWrite(marked.ConsumedCapacity);
  return 'resync-requested';
}

export interface ReconcileInput {
  readonly deviceId: string;
  /** Sequence of the last report the agent published (from its heartbeat). */
  readonly reportedSeq: number;
  /** Epoch of that sequence; undefined before the agent's first report. */
  readonly reportedEpoch?: string | undefined;
  readonly now?: number;
}

export interface ReconcileResult {
  readonly status: 'in-sync' | 'no-reports' | 'waiting' | ResyncOutcome;
  readonly storedEpoch: string | null;
  readonly storedSeq: number | null;
  readonly reason?: string;
}

/**
 * Called by the heartbeat handler with the agent's latest report sequence. When the stored state
 * differs from it for longer than the grace period — behind it (a report or a diff's base was lost,
 * not merely slow) or ahead of it (the agent's sequence store went back) — or a diff has waited for
 * its base that long, asks for a full report (newer than `storedSeq`).
 * Needs read-write access to the inventory table (lag marker and rate limit).
 */
export async function reconcileReportSequence(
  deps: InventoryDeps,
  input: ReconcileInput,
): Promise<ReconcileResult> {
  const { deviceId, reportedSeq, reportedEpoch } = input;
  const now = input.now ?? deps.now();
  // Not a spread: it would read every getter of deps, and the heartbeat's deps have no archive.
  const clocked: InventoryDeps = Object.create(deps, { now: { value: () => now } });
  const meta = await getMeta(deps, deviceId);
  const stored = { storedEpoch: meta?.epoch ?? null, storedSeq: meta?.seq ?? null };
  if (reportedEpoch === undefined) return { status: 'no-reports', ...stored };
  const sameEpoch = meta?.epoch === reportedEpoch;
  if (sameEpoch && meta.seq === reportedSeq) return { status: 'in-sync', ...stored };
  // Behind or ahead, the heartbeat may simply have overtaken a report in flight (they travel
  // different paths): only a difference that outlasts the grace period is a real gap.
  const { gapGraceMs } = settingsOf(deps);
  const position = meta ? `${meta.epochTag}:${meta.seq}` : '-';
  const marker = await getItem<ResyncItem>(deps, deviceId, RESYNC_SK);
  let lagSince = marker?.lagFrom === position ? (marker.lagSince ?? now) : undefined;
  if (lagSince === undefined) {
    lagSince = now;
    await markLag(deps, deviceId, position, now);
  }
  const pending = await queryPrefix<{ heldAt: number }>(
    deps,
    deviceId,
    `${PENDING_PREFIX}${epochTag(reportedEpoch)}#`,
  );
  const oldestPending = Math.min(...pending.map((p) => p.heldAt));
  const overdue = now - lagSince >= gapGraceMs || now - oldestPending >= gapGraceMs;
  if (!overdue) return { status: 'waiting', ...stored };
  const reason = !sameEpoch
    ? `stored inventory has no base for epoch ${reportedEpoch}`
    : meta.seq < reportedSeq
      ? `stored inventory is at ${meta.seq}, the device is at ${reportedSeq}: reports are missing`
      : `device reports sequence ${reportedSeq}, behind the stored ${meta.seq}`;
  const status = await requestResync(clocked, deviceId, {
    reason,
    deviceEpoch: reportedEpoch,
    storedSeq: sameEpoch ? meta.seq : null,
  });
  return { status, ...stored, reason };
}

async function markLag(deps: InventoryDeps, deviceId: string, position: string, now: number): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { deviceId, sk: RESYNC_SK },
        UpdateExpression: 'SET lagFrom = :pos, lagSince = :now',
        ConditionExpression: 'attribute_not_exists(lagFrom) OR lagFrom <> :pos',
        ExpressionAttributeValues: { ':pos': position, ':now': now },
      }),
    );
  } catch (err) {
    // Another heartbeat marked the same lag first: its timestamp stands.
    if (!isConditionalCheckFailed(err)) throw err;
  }
}
