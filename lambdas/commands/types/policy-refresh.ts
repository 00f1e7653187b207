/**
 * `policy-refresh`: makes a device take its effective policy now instead of at its next heartbeat.
 * The target gets `policy-changed` with its effective version, under the operator command's id; the
 * agent asks for the document (policy/request, the heartbeat path's own request), applies it, and
 * answers this command id `succeeded` with `detail.policyVersion`, the version it then runs. A device
 * already on that version answers at once. The outcome is thereby the device's own report of the
 * version it runs, not the cloud's assumption; the heartbeat it sends on applying carries the same
 * number.
 *
 * The version is reconciled with the one the device last reported, as the heartbeat reaction does:
 * a device moved to a policy whose latest number is below the one it runs (a change of its group
 * label) would otherwise answer "already newer" and keep the old document, so the policy is
 * re-stamped first (one conditional write, rare; hence `policies: readWrite` for the dispatcher).
 *
 * A device with no policy assigned (not to itself, its group, nor as the default) gets nothing: the
 * outcome is `succeeded` at once, saying it keeps what it runs.
 */
import { getDeviceItem } from '#lambdas/devices/device-records.ts';
import { reconcileDevicePolicy } from '#lambdas/policies/effective.ts';
import { policyDeps } from '#lambdas/policies/handler-deps.ts';
import { PolicyChangedCommandSchema } from '#protocol/commands.ts';
import type { CommandTypePlugin } from './plugin.ts';

export const NO_POLICY_REASON =
  'no policy assigned (device, group or default): the device keeps the policy it runs, the built-in defaults (version 0) unless it applied one before';

export const policyRefreshType: CommandTypePlugin<'policy-refresh'> = {
  type: 'policy-refresh',
  // A request and an answer through the broker and two functions; generous for a cold start.
  timeoutSec: () => 60,
  timeoutReason: () => 'the device did not report running its effective policy within 60 s',
  prepare: async (ctx, job) => {
    const device = await getDeviceItem({ ddb: ctx.ddb, tableName: ctx.tables.devices }, job.deviceId);
    // The dispatcher's client; the policies table name comes from its wiring grant.
    const reconciled = await reconcileDevicePolicy(
      { ...policyDeps(), ddb: ctx.ddb },
      { deviceId: job.deviceId, runningVersion: device?.policyVersion ?? 0, now: ctx.now },
    );
    if (reconciled.status === 'none') {
      return { outcome: { state: 'succeeded', reason: NO_POLICY_REASON } };
    }
    return {
      publish: [
        {
          deviceId: job.deviceId,
          command: PolicyChangedCommandSchema.parse({
            type: 'policy-changed',
            commandId: job.commandId,
            issuedAt: ctx.now,
            expiresAt: job.expiresAt,
            version: reconciled.effective.version,
          }),
        },
      ],
    };
  },
};
