/**
 * The one dead-letter builder. A device-input handler that refuses its input
 * (lambdas/commons/ingest.ts) and a topic rule whose action failed (the local rule engine; IoT's
 * error action in AWS) write the same entry to the ingest dead-letter queue, which cli/dlq.ts reads
 * and replays.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { parseTopic } from '#protocol/topics.ts';
import { type DeadLetter, RuleEventSchema } from './rule-event.ts';

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** The entry for `event` that `source` (a function of wiring/functions.ts) could not take. */
export function deadLetterOf(
  source: string,
  err: unknown,
  event: unknown,
  failedAt = Date.now(),
): DeadLetter {
  const error = asError(err);
  const ruleEvent = RuleEventSchema.safeParse(event);
  const topic = ruleEvent.success ? ruleEvent.data.topic : undefined;
  const parsed = topic === undefined ? undefined : parseTopic(topic);
  // A device topic names its device; a lifecycle event names the client, which is the device.
  const deviceId =
    (parsed && 'deviceId' in parsed ? parsed.deviceId : undefined) ??
    (parsed && 'clientId' in parsed ? parsed.clientId : undefined) ??
    (ruleEvent.success ? ruleEvent.data.clientId : undefined);
  return {
    source,
    reason: error.message,
    errorType: error.name,
    ...(topic === undefined ? {} : { topic }),
    ...(deviceId === undefined ? {} : { deviceId }),
    failedAt,
    event,
  };
}

function messageOf(queueUrl: string, entry: DeadLetter): SendMessageCommand {
  return new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(entry),
    MessageAttributes: {
      source: { DataType: 'String', StringValue: entry.source },
      errorType: { DataType: 'String', StringValue: entry.errorType },
    },
  });
}

/**
 * Sends the entry. When SQS refuses it (the event itself may be too large), sends it again with the
 * reason and the facts but without the payload; throws only if that fails too.
 */
export async function sendDeadLetter(
  sqs: { send(command: SendMessageCommand): Promise<unknown> },
  queueUrl: string,
  entry: DeadLetter,
): Promise<void> {
  try {
    await sqs.send(messageOf(queueUrl, entry));
  } catch (err) {
    const event = RuleEventSchema.safeParse(entry.event);
    const { payload, ...facts } = event.success ? event.data : { payload: '' };
    await sqs.send(
      messageOf(queueUrl, {
        ...entry,
        reason: `${entry.reason} (original payload of ${Buffer.byteLength(payload, 'base64')} bytes not kept: ${asError(err).message})`,
        event: event.success ? facts : null,
      }),
    );
  }
}
