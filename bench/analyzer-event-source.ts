/**
 * What AWS does around the analyzer handlers, played by the cost bench against the emulators so
 * that its requests can be counted: the topic rule (which rules and actions a publish triggers) and
 * the SQS event source (ReceiveMessage by 10 until the configured batch size, DeleteMessageBatch
 * by 10 after a successful invocation).
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { toSqsRecord } from '#local/queue-poller.ts';
import type { QueueRef } from '#local/sqs-s3.ts';
import { parseBasicIngest, topicMatches } from '#protocol/topics.ts';
import { functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';

const SQS_CHUNK = 64 * 1024;
/** SQS bills a request per started 64 KB of its payload. */
export const sqsChunks = (bytes: number): number => Math.max(1, Math.ceil(bytes / SQS_CHUNK));

export /** The rules a Basic Ingest publish triggers, and their actions (one SQS action per queue rule). */
function rulesFor(ingestTopic: string): { triggered: number; actions: number } {
  const ingest = parseBasicIngest(ingestTopic);
  let triggered = 0;
  for (const spec of Object.values(functions) as FunctionSpec[]) {
    const t = spec.trigger;
    if (t.kind !== 'topic-rule' && t.kind !== 'topic-rule-queue') continue;
    if (ingest !== undefined && t.ruleName !== ingest.ruleName) continue;
    if (topicMatches(t.topicFilter, ingest?.topic ?? ingestTopic)) triggered++;
  }
  return { triggered, actions: triggered };
}

export /** What the event source does: ReceiveMessage by 10 until `batchSize` records, as one event. */
async function receiveEvent(
  sqs: SQSClient,
  queue: QueueRef,
  batchSize: number,
  region: string,
): Promise<{ event: SQSEvent; chunks: number }> {
  const messages: Message[] = [];
  let requestChunks = 0;
  while (messages.length < batchSize) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
      }),
    );
    const got = out.Messages ?? [];
    requestChunks += sqsChunks(got.reduce((n, m) => n + Buffer.byteLength(m.Body ?? ''), 0));
    if (got.length === 0) break;
    messages.push(...got);
  }
  return { event: { Records: messages.map((m) => toSqsRecord(m, queue, region)) }, chunks: requestChunks };
}

/** What the event source does after a successful invocation: DeleteMessageBatch by 10. */
export async function deleteEvent(sqs: SQSClient, queue: QueueRef, event: SQSEvent): Promise<number> {
  let requests = 0;
  for (let i = 0; i < event.Records.length; i += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: event.Records.slice(i, i + 10).map((r, j) => ({
          Id: String(j),
          ReceiptHandle: r.receiptHandle,
        })),
      }),
    );
    requests++;
  }
  return requests;
}
