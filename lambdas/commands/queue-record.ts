/**
 * The edge of the commands feature's SQS consumers: a record whose body is not a valid message, or
 * that fails for a reason a retry cannot fix (a command that does not exist), goes to the queue's
 * dead-letter queue at once with the reason and is acknowledged; anything else is rethrown, so only
 * that record fails its batch and SQS redelivers it (and, after the retries, redrives it there).
 */
import type { SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { deadLetterOf, sendDeadLetter } from '#wiring/dead-letter.ts';
import { sqs } from '../commons/aws/sqs.ts';
import { resourceNames } from '../commons/env.ts';
import { isPermanentError } from '../commons/errors.ts';
import { recordBody, validate } from '../commons/ingest.ts';
import { logger, metrics } from '../commons/powertools.ts';

export async function handleQueueRecord<S extends z.ZodType>(
  source: string,
  deadLetterQueue: 'commandFanoutDeadLetter' | 'commandDispatchDeadLetter',
  record: SQSRecord,
  schema: S,
  handle: (message: z.infer<S>) => Promise<void>,
): Promise<void> {
  const body = recordBody(record);
  try {
    await handle(validate(schema, body, `${source} message`));
  } catch (err) {
    if (!isPermanentError(err)) throw err;
    await sendDeadLetter(sqs, resourceNames.queueUrl(deadLetterQueue), deadLetterOf(source, err, body));
    metrics.addMetric('DeadLettered', 'Count', 1);
    logger.warn('command message dead-lettered', { source, reason: err.message });
  }
}
