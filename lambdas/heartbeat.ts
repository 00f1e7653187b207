/**
 * dt/fleet/{id}/heartbeat → device record (last seen, agent version, source IP, connectivity).
 * Idempotent by construction: a heartbeat lands only if newer than the stored one.
 */

import { decodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/messages.ts';
import { ddb } from './commons/clients.ts';
import { resourceNames } from './commons/env.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { metrics } from './commons/powertools.ts';
import { recordHeartbeat } from './devices/store.ts';

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
  });
});
