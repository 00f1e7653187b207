/**
 * Heartbeat reaction: the heartbeat carries the agent's latest report sequence; when the stored
 * inventory lags behind it for real (a lost report), the device is asked for a full report.
 * Idempotent by construction: resync requests are rate-limited by a conditional write and carry a
 * deterministic command id.
 */

import { publishToDevice } from '../commons/aws/iot-data.ts';
import type { HeartbeatReaction } from '../heartbeat/reaction.ts';
import { inventoryDeps } from './handler-deps.ts';
import { reconcileReportSequence } from './resync.ts';

export const inventoryLagReaction: HeartbeatReaction = {
  name: 'inventory-lag',
  async react(heartbeat, ctx) {
    const reconciled = await reconcileReportSequence(inventoryDeps({ publish: publishToDevice }), {
      deviceId: ctx.deviceId,
      reportedSeq: heartbeat.reportSeq,
      reportedEpoch: heartbeat.reportEpoch,
      now: ctx.receivedAt,
    });
    if (reconciled.status === 'resync-requested') {
      ctx.metrics.addMetric('ResyncRequested', 'Count', 1);
      ctx.logger.info('inventory resync requested', { deviceId: ctx.deviceId, ...reconciled });
    }
  },
};
