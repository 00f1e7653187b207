/**
 * The analyzer's share of `npm run bench:fleet`: what the cloud accepted (the session summaries,
 * each counting its batches once), what is still queued, and what was dead-lettered. The simulated
 * fleet only sends valid batches, so every analyzer dead letter is a valid batch lost.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanSessionSummaries } from '#lambdas/analyzer/session-store.ts';
import { batchCounts } from '#lambdas/analyzer/summary.ts';
import { queues, tables } from '#wiring/fleet.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';

export interface AnalyzerCounts {
  readonly sessions: number;
  /** Batches counted in the summaries (a redelivery counts once). */
  readonly accepted: number;
  /** Gaps below a session's highest sequence: sent, not (yet) counted. */
  readonly missing: number;
  /** Batches on the analyzer queue, not yet handled. */
  readonly queued: number;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

async function queueDepth(sqs: SQSClient, localName: string): Promise<number> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: localName }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export async function analyzerCounts(
  endpoints: { dynamodbEndpoint: string; region: string },
  sqs: SQSClient,
): Promise<AnalyzerCounts> {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: endpoints.region,
      endpoint: endpoints.dynamodbEndpoint,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  let sessions = 0;
  let accepted = 0;
  let missing = 0;
  try {
    for await (const summary of scanSessionSummaries({ ddb, table: tables.analyzer.localName })) {
      const counts = batchCounts(summary.received);
      sessions++;
      accepted += counts.received;
      missing += counts.missing;
    }
  } finally {
    ddb.destroy();
  }
  return { sessions, accepted, missing, queued: await queueDepth(sqs, queues.analyzer.localName) };
}

/** Analyzer entries on the ingest dead-letter queue (where the handler puts invalid batches), by reason. */
export async function analyzerDeadLetters(sqs: SQSClient): Promise<Record<string, number>> {
  const { QueueUrl } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: queues.ingestDeadLetter.localName }),
  );
  const reasons: Record<string, number> = {};
  // The bench's last look at the queue: hiding what it read for a minute changes nothing after it.
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return reasons;
    for (const message of Messages) {
      const letter = DeadLetterSchema.safeParse(JSON.parse(message.Body ?? 'null'));
      if (!letter.success || !letter.data.source.startsWith('analyzer')) continue;
      const key = `${letter.data.errorType}: ${letter.data.reason}`.slice(0, 160);
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
  }
}
