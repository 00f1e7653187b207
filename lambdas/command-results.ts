/**
 * dt/fleet/{id}/command-result (Basic Ingest rule fleetpulse_command_result) → the outcome of the
 * command it answers (commands/results.ts). Invalid results, unknown command ids and results from a
 * device the command was not sent to are dead-lettered with the reason and change nothing.
 * Idempotent by construction: outcomes only move forward.
 */
import { CommandResultSchema } from '#protocol/commands.ts';
import { decodeTopicPayload, parseDeviceTopic } from '#protocol/topics.ts';
import { commandsDeps } from './commands/handler-deps.ts';
import { applyResult } from './commands/results.ts';
import { ProtocolError } from './commons/errors.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';

export const handler = withPowertools(async (event: unknown) => {
  await handleDeviceInput('commandResults', event, async (ruleEvent) => {
    const deviceId = deviceIdOf(ruleEvent);
    if (parseDeviceTopic(ruleEvent.topic)?.kind !== 'command-result') {
      throw new ProtocolError(`topic ${ruleEvent.topic} is not a command-result topic`);
    }
    const result = validate(
      CommandResultSchema,
      decodeTopicPayload('command-result', payloadBytes(ruleEvent)),
      'command result',
    );
    const outcome = await applyResult({ ...commandsDeps(), now: Date.now }, deviceId, result);
    metrics.addMetric(`CommandResult_${outcome}`, 'Count', 1);
    logger.info('command result', { deviceId, commandId: result.commandId, status: result.status, outcome });
  });
});
