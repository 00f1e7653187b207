/**
 * The edge of every device-input handler: parse the topic-rule event, decode and validate the
 * payload against its zod schema, and send whatever is invalid to the ingest dead-letter queue with
 * the reason (no retry loop, no state touched). Transient failures are rethrown for the platform to retry.
 */
import type * as z from 'zod';
import { parseDeviceTopic } from '#protocol/topics.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { deadLetterOf, sendDeadLetter } from '#wiring/dead-letter.ts';
import { type RuleEvent, RuleEventSchema } from '#wiring/rule-event.ts';
import { sqs } from './aws/sqs.ts';
import { resourceNames } from './env.ts';
import { isPermanentError, ProtocolError, SchemaError } from './errors.ts';
import { logger, metrics } from './powertools.ts';

/** Errors that are a property of the input (see isPermanentError): dead-lettered, never retried. */
export function isInvalidInput(err: unknown): err is Error {
  return isPermanentError(err);
}

/** An SQS record's body as JSON when it is JSON; the rule-event schema decides whether it is usable. */
export function recordBody(record: { readonly body: string }): unknown {
  try {
    return JSON.parse(record.body);
  } catch {
    return record.body;
  }
}

export function parseRuleEvent(event: unknown): RuleEvent {
  const parsed = RuleEventSchema.safeParse(event);
  if (!parsed.success)
    throw new SchemaError(`not a topic-rule event: ${formatZodIssues(parsed.error, { limit: 5 })}`);
  return parsed.data;
}

export function payloadBytes(event: RuleEvent): Buffer {
  return Buffer.from(event.payload, 'base64');
}

/** Validates `value` against `schema`, turning zod issues into one readable reason. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new SchemaError(`${what} is invalid: ${formatZodIssues(parsed.error, { limit: 5 })}`);
  return parsed.data;
}

/**
 * The device a message is from, taken from the topic (the broker/IoT policy guarantees a device
 * publishes only under its own id); the client id must agree when the rule reports one.
 */
export function deviceIdOf(event: RuleEvent): string {
  const parsed = parseDeviceTopic(event.topic);
  if (!parsed) throw new ProtocolError(`topic ${event.topic} is not a fleetpulse device topic`);
  if (event.clientId && event.clientId !== parsed.deviceId) {
    throw new ProtocolError(
      `client ${event.clientId} published on ${event.topic}, which belongs to ${parsed.deviceId}`,
    );
  }
  return parsed.deviceId;
}

export async function sendToDeadLetter(source: string, err: Error, event: unknown): Promise<void> {
  const entry = deadLetterOf(source, err, event);
  await sendDeadLetter(sqs, resourceNames.queueUrl('ingestDeadLetter'), entry);
  metrics.addMetric('DeadLettered', 'Count', 1);
  logger.warn('device input dead-lettered', {
    source,
    reason: entry.reason,
    errorType: entry.errorType,
    topic: entry.topic,
  });
}

/**
 * Runs `handle` on one rule event. Invalid input goes to the dead-letter queue and counts as handled;
 * anything else propagates so the event is retried (and, past the retries, lands in the DLQ too).
 */
export async function handleDeviceInput(
  source: string,
  event: unknown,
  handle: (event: RuleEvent) => Promise<void>,
): Promise<void> {
  try {
    await handle(parseRuleEvent(event));
  } catch (err) {
    if (isInvalidInput(err)) {
      await sendToDeadLetter(source, err, event);
      return;
    }
    throw err;
  }
}
