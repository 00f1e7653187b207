/**
 * dt/fleet/{id}/policy/request → a `policy` command on cmd/fleet/{id} with the device's own effective
 * policy, when it is newer than the version the request says the agent runs. The device id comes from
 * the topic (the broker and the IoT policy let a device publish under its own id only), so a device
 * gets its own policy and nobody else's. Idempotent by construction: a repeated request gets the same
 * deterministic command id (policies/notify.ts), which the agent drops as a duplicate.
 */
import { decodeJson } from '#protocol/encoding.ts';
import { PolicyRequestSchema } from '#protocol/policy.ts';
import { topics } from '#protocol/topics.ts';
import { publishToDevice } from './commons/aws/iot-data.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { reconcileDevicePolicy } from './policies/effective.ts';
import { policyDeps } from './policies/handler-deps.ts';
import { policyCommand } from './policies/notify.ts';

export const handler = withPowertools(async (event: unknown) => {
  await handleDeviceInput('policyRequests', event, async (ruleEvent) => {
    const deviceId = deviceIdOf(ruleEvent);
    const request = validate(PolicyRequestSchema, decodeJson(payloadBytes(ruleEvent)), 'policy request');
    const reconciled = await reconcileDevicePolicy(policyDeps(), {
      deviceId,
      runningVersion: request.currentVersion,
      now: ruleEvent.receivedAt,
    });
    if (reconciled.status !== 'newer') {
      metrics.addMetric('PolicyRequestUpToDate', 'Count', 1);
      return;
    }
    await publishToDevice(
      topics.command(deviceId),
      JSON.stringify(policyCommand(reconciled.effective, ruleEvent.receivedAt)),
    );
    metrics.addMetric('PolicySent', 'Count', 1);
    logger.info('policy sent', {
      deviceId,
      policyId: reconciled.effective.policyId,
      version: reconciled.effective.version,
      running: request.currentVersion,
    });
  });
});
