/**
 * Heartbeat reaction: a heartbeat carrying an older policy version than the device's effective one
 * gets a `policy-changed` answer; the agent then asks with `policy/request` (policy-requests.ts).
 * Per heartbeat: one GetItem (the device's group), one BatchGet (its assignments), the head from a
 * short cache. Idempotent by construction: the command id is deterministic (notify.ts).
 */
import { topics } from '#protocol/topics.ts';
import { publishToDevice } from '../commons/aws/iot-data.ts';
import type { HeartbeatReaction } from '../heartbeat/reaction.ts';
import { reconcileDevicePolicy } from './effective.ts';
import { policyDeps, reactionHeadCache } from './handler-deps.ts';
import { policyChangedCommand } from './notify.ts';

export const policyHeartbeatReaction: HeartbeatReaction = {
  name: 'policy',
  async react(heartbeat, ctx) {
    const reconciled = await reconcileDevicePolicy(policyDeps({ headCache: reactionHeadCache() }), {
      deviceId: ctx.deviceId,
      runningVersion: heartbeat.policyVersion,
      now: ctx.receivedAt,
    });
    if (reconciled.status !== 'newer') return;
    const { version, policyId } = reconciled.effective;
    await publishToDevice(
      topics.command(ctx.deviceId),
      JSON.stringify(policyChangedCommand(version, ctx.receivedAt)),
    );
    ctx.metrics.addMetric('PolicyChangeNotified', 'Count', 1);
    ctx.logger.info('policy change notified', {
      deviceId: ctx.deviceId,
      policyId,
      version,
      running: heartbeat.policyVersion,
      ...(reconciled.restampedFrom === undefined ? {} : { restampedFrom: reconciled.restampedFrom }),
    });
  },
};
