/**
 * The dispatcher: one message moves one device's outcome. Idempotent by construction: every move is
 * a conditional transition (never backwards, never twice), pending items are keyed by device and
 * command, and agents drop a command id they have seen, so a redelivered message changes nothing.
 */

import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CommandSchema } from '#protocol/commands.ts';
import { topics } from '#protocol/topics.ts';
import { isConditionalCheckFailed, ProtocolError } from '../commons/errors.ts';
import type { DeviceItem } from '../devices/device-records.ts';
import { getDeviceItem } from '../devices/device-records.ts';
import { deviceStatus } from '../devices/presence.ts';
import { type MetaItem, type OutcomeItem, outcomeSk, relaySk } from './items.ts';
import { type DispatchMessage, sendDeadline } from './messages.ts';
import { type CommandsDeps, deletePending, getMeta, getOutcome, putPending, transition } from './store.ts';
import { commandType } from './types/index.ts';
import type { CommandJob, CommandTypePlugin, Outcome, PrepareContext } from './types/plugin.ts';

export interface DispatchDeps extends CommandsDeps {
  /** Meta items read during one batch (its records are mostly of one command). @default - no cache */
  readonly metaCache?: Map<string, Promise<MetaItem | undefined>>;
  readonly tables: Omit<PrepareContext['tables'], 'commands'>;
  readonly publish: (topic: string, payload: string) => Promise<void>;
  readonly graceMs: number;
  readonly now: () => number;
}

/** What happened, for logs and tests. */
export type DispatchOutcome =
  | 'dispatched'
  | 'pending'
  | 'ended'
  | 'expired'
  | 'timed-out'
  | 'canceled'
  | 'rescheduled'
  | 'nothing-to-do';

export async function handleDispatchMessage(
  deps: DispatchDeps,
  message: DispatchMessage,
): Promise<DispatchOutcome> {
  const meta = await metaOf(deps, message.commandId);
  if (meta === undefined) throw new ProtocolError(`command ${message.commandId} does not exist`);
  const outcome = await getOutcome(deps, message.commandId, message.deviceId);
  if (outcome === undefined) {
    throw new ProtocolError(`command ${message.commandId} does not target device ${message.deviceId}`);
  }
  const plugin = commandType(meta.type);
  if (plugin === undefined) throw new ProtocolError(`command type ${meta.type} is not available`);
  if (message.kind === 'deadline') return deadline(deps, meta, outcome, plugin, message);
  return dispatch(deps, meta, outcome, plugin);
}

function metaOf(deps: DispatchDeps, commandId: string): Promise<MetaItem | undefined> {
  const cached = deps.metaCache?.get(commandId);
  if (cached !== undefined) return cached;
  const read = getMeta(deps, commandId);
  deps.metaCache?.set(commandId, read);
  return read;
}

const jobOf = (meta: MetaItem, deviceId: string): CommandJob => ({
  commandId: meta.commandId,
  deviceId,
  params: meta.params as CommandJob['params'],
  createdAt: meta.createdAt,
  expiresAt: meta.expiresAt,
});

async function move(
  deps: DispatchDeps,
  outcome: OutcomeItem,
  to: Outcome,
  from?: OutcomeItem['state'][],
): Promise<boolean> {
  const moved = await transition(deps, {
    commandId: outcome.commandId,
    deviceId: outcome.deviceId,
    to: to.state,
    at: deps.now(),
    ...(to.reason === undefined ? {} : { reason: to.reason }),
    ...(to.detail === undefined ? {} : { detail: to.detail }),
    ...(from === undefined ? {} : { from }),
  });
  return moved !== undefined;
}

async function dispatch(
  deps: DispatchDeps,
  meta: MetaItem,
  outcome: OutcomeItem,
  plugin: CommandTypePlugin,
): Promise<DispatchOutcome> {
  const now = deps.now();
  if (outcome.state !== 'queued') {
    // A reconnect of a target whose type waits for it (a wake): the connection is the confirmation.
    if ((outcome.state === 'dispatched' || outcome.state === 'acknowledged') && plugin.awaitTargetOnline) {
      const device = await getDeviceItem({ ddb: deps.ddb, tableName: deps.tables.devices }, outcome.deviceId);
      const decided =
        device && isOnline(device, deps) ? plugin.onTargetOnline?.(jobOf(meta, outcome.deviceId)) : undefined;
      if (decided !== undefined) return (await move(deps, outcome, decided)) ? 'ended' : 'nothing-to-do';
    }
    return 'nothing-to-do';
  }
  if (meta.status === 'canceled' || meta.status === 'aborted') {
    await move(deps, outcome, { state: 'canceled', reason: meta.reason ?? `command ${meta.status}` });
    return 'canceled';
  }
  if (now >= meta.expiresAt) {
    await move(deps, outcome, { state: 'expired', reason: 'not delivered before the command expired' }, [
      'queued',
    ]);
    return 'expired';
  }
  if (plugin.needsOnlineTarget !== false && !(await targetOnline(deps, outcome.deviceId))) {
    const fresh = await putPending(deps, outcome.deviceId, {
      commandId: meta.commandId,
      awaiting: 'dispatch',
      expiresAt: meta.expiresAt,
    });
    if (fresh) {
      await sendDeadline(
        deps,
        {
          kind: 'deadline',
          commandId: meta.commandId,
          deviceId: outcome.deviceId,
          expect: 'expiry',
          due: meta.expiresAt,
        },
        now,
      );
    }
    // It may have connected between the two reads: its reconnect reaction ran before the pending
    // item existed, so look again rather than wait for its next heartbeat.
    if (!(await targetOnline(deps, outcome.deviceId))) return 'pending';
  }
  const job = jobOf(meta, outcome.deviceId);
  const prepared = await plugin.prepare(
    { ddb: deps.ddb, tables: { ...deps.tables, commands: deps.table }, now, graceMs: deps.graceMs },
    job,
  );
  if ('outcome' in prepared) {
    await move(deps, outcome, prepared.outcome, ['queued']);
    return 'ended';
  }
  const recipients = prepared.publish.map((p) => p.deviceId);
  // Recipients are recorded before anything is sent: a result may come back before `dispatched` lands.
  if (!(await recordRecipients(deps, outcome, recipients))) return 'nothing-to-do';
  for (const { deviceId, command } of prepared.publish) {
    if (command === undefined) continue;
    await deps.publish(topics.command(deviceId), JSON.stringify(CommandSchema.parse(command)));
  }
  await transition(deps, {
    commandId: meta.commandId,
    deviceId: outcome.deviceId,
    to: 'dispatched',
    at: deps.now(),
    reason: `sent to ${recipients.join(', ')}`,
    from: ['queued'],
  });
  if (plugin.awaitTargetOnline) {
    await putPending(deps, outcome.deviceId, {
      commandId: meta.commandId,
      awaiting: 'online',
      expiresAt: meta.expiresAt,
    });
    // It may have connected before the pending item existed (woken by a relay another target of
    // the command sent): its reconnect reaction found nothing, so look now.
    if (await targetOnline(deps, outcome.deviceId)) {
      const decided = plugin.onTargetOnline?.(job);
      if (decided !== undefined) await move(deps, outcome, decided, ['dispatched', 'acknowledged']);
    }
  }
  await sendDeadline(
    deps,
    {
      kind: 'deadline',
      commandId: meta.commandId,
      deviceId: outcome.deviceId,
      expect: 'result',
      due: deps.now() + plugin.timeoutSec(job.params) * 1000,
    },
    deps.now(),
  );
  return 'dispatched';
}

/** Shorter than the dispatch queue's visibility timeout (30 s). */
const SEND_LEASE_MS = 20_000;

/**
 * Records who the command goes to for this target; false when the outcome is no longer queued or
 * another run is sending it right now.
 */
async function recordRecipients(
  deps: DispatchDeps,
  outcome: OutcomeItem,
  recipients: readonly string[],
): Promise<boolean> {
  for (const recipient of recipients) {
    if (recipient === outcome.deviceId) continue;
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: {
          pk: outcome.commandId,
          sk: relaySk(recipient, outcome.deviceId),
          target: outcome.deviceId,
          purgeAt: outcome.purgeAt,
        },
      }),
    );
  }
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: outcome.commandId, sk: outcomeSk(outcome.deviceId) },
        // A lease, so that two deliveries of one message running at once publish once; a run that
        // died after it is redelivered after the visibility timeout, past the lease, and publishes.
        UpdateExpression: 'SET sentTo = :to, sendingUntil = :until',
        ConditionExpression:
          '#state = :queued AND (attribute_not_exists(sendingUntil) OR sendingUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':to': [...recipients],
          ':queued': 'queued',
          ':now': deps.now(),
          ':until': deps.now() + SEND_LEASE_MS,
        },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

async function deadline(
  deps: DispatchDeps,
  meta: MetaItem,
  outcome: OutcomeItem,
  plugin: CommandTypePlugin,
  message: Extract<DispatchMessage, { kind: 'deadline' }>,
): Promise<DispatchOutcome> {
  const now = deps.now();
  if (message.due > now + 1000) {
    // Past SQS's 15-minute delay: the chain goes on.
    await sendDeadline(deps, message, now);
    return 'rescheduled';
  }
  if (message.expect === 'expiry') {
    const moved = await move(
      deps,
      outcome,
      { state: 'expired', reason: 'the device did not connect before the command expired' },
      ['queued'],
    );
    await deletePending(deps, outcome.deviceId, meta.commandId);
    return moved ? 'expired' : 'nothing-to-do';
  }
  const params = meta.params as CommandJob['params'];
  const reason = plugin.timeoutReason?.(params) ?? `no result within ${plugin.timeoutSec(params)} s`;
  const state = plugin.timeoutState ?? 'timed-out';
  const moved = await move(deps, outcome, { state, reason }, ['dispatched', 'acknowledged']);
  return moved ? 'timed-out' : 'nothing-to-do';
}

function isOnline(device: DeviceItem, deps: DispatchDeps): boolean {
  return deviceStatus(device, deps.now(), deps.graceMs) === 'online';
}

async function targetOnline(deps: DispatchDeps, deviceId: string): Promise<boolean> {
  const device = await getDeviceItem({ ddb: deps.ddb, tableName: deps.tables.devices }, deviceId);
  return device !== undefined && isOnline(device, deps);
}
