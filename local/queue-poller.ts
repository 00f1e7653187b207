/**
 * The SQS event source mapping: polls a queue, hands batches to the function as an SQS event, and
 * honours `ReportBatchItemFailures` — successes are deleted, failures stay and reappear after the
 * visibility timeout; a thrown error fails the whole batch. Redrive to the dead-letter queue after
 * `maxReceiveCount` receives is done by the SQS emulator itself from the queue's RedrivePolicy.
 *
 * A batch size above SQS's 10 per receive is gathered as Lambda does, receive after receive, until
 * the batch is full or the batching window has passed; locally only while there is a backlog (a
 * receive came back full): without one nothing is gained by waiting, and with one the per-invocation
 * cost (the analyzer's raw bundle and Parquet files) is spread over many records, not ten.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { FunctionName } from '#wiring/fleet.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';
import type { Log } from './log.ts';
import type { QueueClient } from './sqs/in-process-client.ts';
import type { QueueRef } from './sqs-s3.ts';

export interface QueuePoller {
  stop(): Promise<void>;
}

export interface QueuePollerOptions {
  readonly functionName: FunctionName;
  readonly queue: QueueRef;
  readonly batchSize: number;
  /** Independent receive loops, like the concurrent batches of a Lambda SQS event source. @default 1 */
  readonly concurrency?: number;
  readonly runtime: LambdaRuntime;
  /** The event source mapping is part of the platform: in the local cloud it calls the emulator in-process. */
  readonly sqs: QueueClient;
  readonly region: string;
  readonly log: Log;
  /** Overrides the queue's visibility timeout on receive (tests make failed messages reappear fast). */
  readonly visibilityTimeoutSec?: number;
  /** Long-poll wait per receive; short so stop() is quick. @default 1 */
  readonly waitTimeSec?: number;
  /** How long a batch above 10 records may gather. @default 1 */
  readonly maxBatchingWindowSec?: number;
}

/** SQS's limit per ReceiveMessage and per DeleteMessageBatch. */
const SQS_MAX_PER_CALL = 10;

const ERROR_BACKOFF_MS = 500;

function toLambdaAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  // Attribute names are data: a name like __proto__ stays a name.
  const result: SQSMessageAttributes = Object.create(null);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return result;
}

export function toSqsRecord(message: Message, queue: QueueRef, region: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * Message ids the function reported as failed; every id when the response is malformed, as Lambda
 * treats an unknown or empty itemIdentifier as a failure of the whole batch.
 */
export function failedMessageIds(result: unknown, batchIds: readonly string[]): Set<string> {
  if (result === null || typeof result !== 'object' || !('batchItemFailures' in result)) return new Set();
  const failures = (result as { batchItemFailures: unknown }).batchItemFailures;
  if (!Array.isArray(failures)) return new Set(batchIds);
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.includes(id)) return new Set(batchIds);
    ids.add(id);
  }
  return ids;
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const { log, sqs, queue } = options;
  const abort = new AbortController();
  let running = true;

  const receive = async (max: number, waitTimeSec: number): Promise<Message[]> => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(SQS_MAX_PER_CALL, max),
        WaitTimeSeconds: waitTimeSec,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        ...(options.visibilityTimeoutSec === undefined
          ? {}
          : { VisibilityTimeout: options.visibilityTimeoutSec }),
      }),
      { abortSignal: abort.signal },
    );
    return received.Messages ?? [];
  };

  /**
   * One receive; while receives come back full (a backlog) and the batch size is above 10, more
   * without waiting, until the batch is full or the window is over.
   */
  async function gather(): Promise<Message[]> {
    let last = await receive(options.batchSize, options.waitTimeSec ?? 1);
    const messages = [...last];
    const windowEnds = Date.now() + (options.maxBatchingWindowSec ?? 1) * 1000;
    while (
      running &&
      last.length === SQS_MAX_PER_CALL &&
      messages.length < options.batchSize &&
      Date.now() < windowEnds
    ) {
      last = await receive(options.batchSize - messages.length, 0);
      messages.push(...last);
    }
    return messages;
  }

  async function pollOnce(): Promise<void> {
    const messages = await gather();
    if (messages.length === 0) return;
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue, options.region)) };
    const ids = event.Records.map((r) => r.messageId);
    let failed: Set<string>;
    try {
      failed = failedMessageIds(await options.runtime.invoke(options.functionName, event), ids);
    } catch (err) {
      log.warn(`function ${options.functionName} failed a batch of ${ids.length}: ${(err as Error).message}`);
      failed = new Set(ids);
    }
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    if (failed.size > 0)
      log.debug(`function ${options.functionName}: ${failed.size} message(s) will be retried`);
    for (let start = 0; start < done.length; start += SQS_MAX_PER_CALL) {
      const chunk = done.slice(start, start + SQS_MAX_PER_CALL);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: chunk.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }

  const pollLoop = async (): Promise<void> => {
    while (running) {
      try {
        await pollOnce();
      } catch (err) {
        if (!running) break;
        log.warn(`poller for ${options.functionName} on ${queue.url}: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS));
      }
    }
  };
  const loop = Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, pollLoop));

  return {
    async stop() {
      running = false;
      abort.abort();
      await loop;
    },
  };
}
