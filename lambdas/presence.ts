/**
 * $aws/events/presence/{connected|disconnected}/{clientId} → device online/offline.
 * Idempotent by construction: each event lands only if newer than the stored one of its kind.
 */
import { decodeJson } from '#protocol/encoding.ts';
import { isDeviceId } from '#protocol/ids.ts';
import { LifecycleEventSchema } from '#protocol/lifecycle.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { resourceNames } from './commons/env.ts';
import { ProtocolError } from './commons/errors.ts';
import { handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { recordPresence } from './devices/device-records.ts';
import { presenceReactions, runPresenceReactions } from './devices/presence-reactions.ts';

const devices = { ddb, tableName: resourceNames.table('devices') };

export const handler = withPowertools(async (event: unknown) => {
  await handleDeviceInput('presence', event, async (ruleEvent) => {
    const lifecycle = validate(LifecycleEventSchema, decodeJson(payloadBytes(ruleEvent)), 'lifecycle event');
    if (!ruleEvent.topic.endsWith(`/${lifecycle.eventType}/${lifecycle.clientId}`)) {
      throw new ProtocolError(`lifecycle event for ${lifecycle.clientId} arrived on ${ruleEvent.topic}`);
    }
    if (!isDeviceId(lifecycle.clientId)) {
      // Operator tools and test clients connect too; only devices have presence.
      logger.info('ignoring lifecycle event of a non-device client', { clientId: lifecycle.clientId });
      return;
    }
    const recorded = await recordPresence(devices, lifecycle);
    metrics.addMetric(
      recorded
        ? `Device${lifecycle.eventType === 'connected' ? 'Connected' : 'Disconnected'}`
        : 'PresenceStale',
      'Count',
      1,
    );
    if (recorded && lifecycle.eventType === 'connected') {
      await runPresenceReactions(presenceReactions, lifecycle.clientId, logger);
    }
  });
});
