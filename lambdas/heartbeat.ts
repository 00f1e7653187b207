/**
 * dt/fleet/{id}/heartbeat → device record (last seen, agent version, source IP, connectivity).
 * The heartbeat also carries the agent's latest report sequence: when the stored inventory lags
 * behind it for real (a lost report), the device is asked for a full report.
 * Idempotent by construction: a heartbeat lands only if newer than the stored one; resync requests
 * are rate-limited by a conditional write and carry a deterministic command id.
 */

import { decodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { publishToDevice } from './commons/aws/iot-data.ts';
import { resourceNames } from './commons/env.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { recordHeartbeat } from './devices/device-records.ts';
import { inventoryDeps } from './inventory/handler-deps.ts';
import { reconcileReportSequence } from './inventory/resync.ts';

const devices = { ddb, tableName: resourceNames.table('devices') };

export const handler = withPowertools(async (event: unknown) => {
  await handleDeviceInput('heartbeat', event, async (ruleEvent) => {
    const deviceId = deviceIdOf(ruleEvent);
    const heartbeat = validate(HeartbeatSchema, decodeJson(payloadBytes(ruleEvent)), 'heartbeat');
    const recorded = await recordHeartbeat(devices, {
      deviceId,
      heartbeat,
      receivedAt: ruleEvent.receivedAt,
      ...(ruleEvent.sourceIp ? { sourceIp: ruleEvent.sourceIp } : {}),
    });
    metrics.addMetric(recorded ? 'HeartbeatRecorded' : 'HeartbeatStale', 'Count', 1);
    if (!recorded) return;
    const reconciled = await reconcileReportSequence(inventoryDeps({ publish: publishToDevice }), {
      deviceId,
      reportedSeq: heartbeat.reportSeq,
      reportedEpoch: heartbeat.reportEpoch,
      now: ruleEvent.receivedAt,
    });
    if (reconciled.status === 'resync-requested') {
      metrics.addMetric('ResyncRequested', 'Count', 1);
      logger.info('inventory resync requested', { deviceId, ...reconciled });
    }
  });
});
