/**
 * `wake`: Wake-on-LAN through the nearest online bridge (docs/commands.md). The target is offline,
 * so the command goes to bridges (lambdas/targets/choose-bridges.ts) as a `wake-relay`; the bridge's
 * "packets sent" is only `acknowledged`, and the target connecting within `params.timeoutSec` is
 * what makes it `succeeded`.
 *
 * Sharing a relay under a per-device dispatch: agents run a command id once, so two relays of one
 * command to one bridge would lose the second. The first target of a subnet to be dispatched sends
 * one relay naming every target of the command in that subnet (its first MAX_RELAY_TARGETS
 * targets are looked at); a later target whose relay already went out joins it (recorded as
 * relayed by the same bridges, nothing published).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { MAC_PATTERN } from '#protocol/api/commands.ts';
import type { Command } from '#protocol/commands.ts';
import { getDeviceItem } from '../../devices/device-records.ts';
import { deviceStatus } from '../../devices/presence.ts';
import { gatherBridgePool, targetNetwork } from '../../targets/bridges.ts';
import {
  chooseBridges,
  MAX_RELAY_TARGETS,
  type WakeRelayPlan,
  type WakeTarget,
} from '../../targets/choose-bridges.ts';
import type { TargetsDeps } from '../../targets/selector.ts';
import { OUTCOME_PREFIX } from '../items.ts';
import type { CommandJob, CommandTypePlugin, PrepareContext, Prepared } from './plugin.ts';

export const DEFAULT_WAKE_TIMEOUT_SEC = 300;

const minutes = (sec: number): string => {
  const min = sec / 60;
  return Number.isInteger(min) ? `${min} min` : `${sec} s`;
};

export const notConfirmedReason = (timeoutSec: number): string =>
  `not confirmed: no connection from the target within ${minutes(timeoutSec)}`;

interface Sibling {
  readonly deviceId: string;
  readonly state: string;
  readonly sentTo?: string[];
}

/** The command's other targets (up to the relay limit), with whether their relay went out. */
async function siblingsOf(ctx: PrepareContext, job: CommandJob<'wake'>): Promise<Sibling[]> {
  const page = await ctx.ddb.send(
    new QueryCommand({
      TableName: ctx.tables.commands,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': job.commandId, ':prefix': OUTCOME_PREFIX },
      ProjectionExpression: 'deviceId, #state, sentTo',
      ExpressionAttributeNames: { '#state': 'state' },
      Limit: MAX_RELAY_TARGETS,
    }),
  );
  return ((page.Items ?? []) as Sibling[]).filter((s) => s.deviceId !== job.deviceId);
}

function withMac(target: WakeTarget, mac: string | undefined): WakeTarget {
  if (mac === undefined) return target;
  // The operator's MAC replaces the inventory's; the subnets stay those the inventory knows.
  const subnets = [...new Set(target.nics.flatMap((n) => (n.subnet === undefined ? [] : [n.subnet])))];
  return {
    ...target,
    nics:
      subnets.length === 0
        ? [{ iface: 'params', mac }]
        : subnets.map((subnet) => ({ iface: 'params', mac, subnet })),
  };
}

export const wakeType: CommandTypePlugin<'wake'> = {
  type: 'wake',
  needsOnlineTarget: false,
  awaitTargetOnline: true,
  timeoutSec: (params) => params.timeoutSec ?? DEFAULT_WAKE_TIMEOUT_SEC,
  timeoutState: 'failed',
  timeoutReason: (params) => notConfirmedReason(params.timeoutSec ?? DEFAULT_WAKE_TIMEOUT_SEC),

  async prepare(ctx, job): Promise<Prepared> {
    const deps: TargetsDeps = {
      ddb: ctx.ddb,
      devicesTable: ctx.tables.devices,
      deviceIndexTable: ctx.tables.deviceIndex,
    };
    const at = { now: ctx.now, graceMs: ctx.graceMs };
    const device = await getDeviceItem({ ddb: ctx.ddb, tableName: ctx.tables.devices }, job.deviceId);
    if (device !== undefined && deviceStatus(device, ctx.now, ctx.graceMs) === 'online') {
      return { outcome: { state: 'succeeded', reason: 'already online: nothing sent' } };
    }
    const target = withMac(await targetNetwork(deps, job.deviceId), job.params.mac);
    const badMac = target.nics.find((nic) => !MAC_PATTERN.test(nic.mac));
    if (badMac !== undefined) {
      return {
        outcome: { state: 'failed', reason: `bad MAC in the inventory of ${job.deviceId}: ${badMac.mac}` },
      };
    }
    const siblings = await siblingsOf(ctx, job);
    const others = await Promise.all(siblings.map((s) => targetNetwork(deps, s.deviceId)));
    const usable = others.map((t) => ({ ...t, nics: t.nics.filter((nic) => MAC_PATTERN.test(nic.mac)) }));
    const all = [target, ...usable];
    const choice = chooseBridges(all, await gatherBridgePool(deps, all, at));
    const unreachable = choice.unreachable.find((u) => u.deviceId === job.deviceId);
    if (unreachable !== undefined) return { outcome: { state: 'failed', reason: unreachable.reason } };
    const plan = choice.relays.find((r) => r.targets.some((t) => t.deviceId === job.deviceId));
    if (plan === undefined) return { outcome: { state: 'failed', reason: 'no bridge chosen' } };
    const bridges = plan.bridges.map((b) => b.deviceId);
    const sent = siblings.find(
      (s) =>
        s.sentTo !== undefined &&
        plan.targets.some((t) => t.deviceId === s.deviceId) &&
        s.sentTo.some((b) => bridges.includes(b)),
    );
    if (sent?.sentTo !== undefined) {
      return { publish: sent.sentTo.map((deviceId) => ({ deviceId })) };
    }
    return {
      publish: bridges.map((deviceId) => ({ deviceId, command: relayCommand(ctx, job, plan) })),
    };
  },

  // The bridge took the relay (`acknowledged`): still only dispatched. The bridge sent the packets
  // (`succeeded`): acknowledged, not woken. The first bridge to report is kept: its detail (what it
  // sent, from where) goes to the target's outcome.
  interpretResult: (result, from) => {
    const detail = { bridge: from.recipient, ...(result.detail ?? {}) };
    if (result.status === 'acknowledged')
      return { state: 'dispatched', reason: `relay received by bridge ${from.recipient}` };
    // A second bridge may still have sent, and the target connecting is the truth either way: a
    // bridge's failure is recorded, and the outcome waits for the confirmation or its timeout.
    if (result.status === 'failed')
      return {
        state: 'acknowledged',
        reason: `bridge ${from.recipient} could not send: ${result.reason ?? 'no reason given'}`,
        detail,
      };
    return { state: 'acknowledged', reason: `magic packet sent by bridge ${from.recipient}`, detail };
  },

  onTargetOnline: () => ({ state: 'succeeded', reason: 'the target connected' }),
};

function relayCommand(ctx: PrepareContext, job: CommandJob<'wake'>, plan: WakeRelayPlan): Command {
  return {
    type: 'wake-relay',
    commandId: job.commandId,
    issuedAt: ctx.now,
    expiresAt: job.expiresAt,
    targets: plan.targets.map((t) => ({ deviceId: t.deviceId, mac: t.mac })),
    subnet: plan.subnet,
    broadcastAddress: plan.broadcastAddress,
    ports: [9, 7],
    ...(job.params.secureOn === undefined ? {} : { secureOn: job.params.secureOn }),
  };
}
