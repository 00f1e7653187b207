/**
 * dt/fleet/{id}/heartbeat → device record (last seen, agent version, source IP, connectivity), then
 * the reactions features register (heartbeat/reactions.ts), each isolated from the others.
 * Idempotent by construction: a heartbeat lands only if newer than the stored one, and reactions run
 * only for a heartbeat that landed.
 */

import { decodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { resourceNames } from './commons/env.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { recordHeartbeat } from './devices/device-records.ts';
import { runReactions } from './heartbeat/reaction.ts';
import { heartbeatReactions } from './heartbeat/reactions.ts';

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
    await runReactions(heartbeatReactions, heartbeat, {
      deviceId,
      receivedAt: ruleEvent.receivedAt,
      logger,
      metrics,
    });
  });
});
