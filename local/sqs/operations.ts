/**
 * The SQS operations the repository uses, on the JSON protocol's input and output shapes (the same
 * field names as the API reference), over the queue service.
 */
import {
  batchIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidBatchEntryId,
  invalidValue,
  missingParameter,
  SqsError,
  tooManyEntries,
} from './errors.ts';
import {
  type MessageAttributes,
  md5OfAttributes,
  messageSize,
  type StoredMessage,
  selectAttributes,
} from './message.ts';
import type { QueueService, Received, SendInput } from './queue-service.ts';

/** SQS's limit on a whole batch (and on a single message at most). */
export const MAX_BATCH_BYTES = 1048576;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export type Input = Record<string, unknown>;
export type Operation = (service: QueueService, input: Input, signal: AbortSignal) => Promise<unknown>;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function integer(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalidValue(name, value, `Must be an integer from ${min} to ${max}.`);
  return value;
}

interface BatchEntry {
  readonly Id: string;
  readonly [field: string]: unknown;
}

function batchEntries(input: Input): BatchEntry[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) throw emptyBatchRequest();
  if (entries.length > 10) throw tooManyEntries(entries.length);
  const seen = new Set<string>();
  for (const entry of entries as Array<Record<string, unknown>>) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (seen.has(id)) throw batchIdsNotDistinct(id);
    seen.add(id);
  }
  return entries as BatchEntry[];
}

const failure = (id: string, err: SqsError) => ({
  Id: id,
  SenderFault: err.status < 500,
  Code: err.code,
  Message: err.message,
});

function sendResult(message: StoredMessage) {
  const md5 = md5OfAttributes(message.attributes);
  return {
    MessageId: message.id,
    MD5OfMessageBody: message.md5OfBody,
    ...(md5 ? { MD5OfMessageAttributes: md5 } : {}),
  };
}

/** A batch entry's size as SQS counts it; entries too malformed to measure fail on their own later. */
function entrySize(entry: BatchEntry): number {
  if (typeof entry.MessageBody !== 'string') return 0;
  try {
    return messageSize(entry.MessageBody, entry.MessageAttributes as MessageAttributes | undefined);
  } catch {
    return Buffer.byteLength(entry.MessageBody);
  }
}

function systemAttributes(
  message: StoredMessage,
  names: readonly string[],
): Record<string, string> | undefined {
  if (names.length === 0) return undefined;
  const all: Record<string, string> = {
    SenderId: 'AIDAAAAAAAAAAAAAAAAAA',
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    ...(message.deadLetterSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {}),
  };
  if (names.includes('All')) return all;
  const out: Record<string, string> = {};
  for (const name of names) if (all[name] !== undefined) out[name] = all[name];
  return Object.keys(out).length > 0 ? out : undefined;
}

function receivedMessage(
  { message, receiptHandle }: Received,
  attributeNames: string[],
  messageAttributeNames: string[],
) {
  const attributes = systemAttributes(message, attributeNames);
  const messageAttributes = selectAttributes(message.attributes, messageAttributeNames);
  const md5 = md5OfAttributes(messageAttributes);
  return {
    MessageId: message.id,
    ReceiptHandle: receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(attributes ? { Attributes: attributes } : {}),
    ...(messageAttributes ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5 } : {}),
  };
}

/** SQS's operations by name: each validates its input, calls the service, shapes SQS's answer. */
export const operations: Record<string, Operation> = {
  async CreateQueue(service, input) {
    const queue = await service.createQueue(input.QueueName, input.Attributes);
    return { QueueUrl: service.url(queue.name) };
  },
  async GetQueueUrl(service, input) {
    if (input.QueueName === undefined) throw missingParameter('QueueName');
    return { QueueUrl: service.url(service.queueByName(input.QueueName).name) };
  },
  async ListQueues(service, input) {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const max = integer(input, 'MaxResults', 1, 1000);
    const names = service.listQueues(prefix);
    const start =
      typeof input.NextToken === 'string'
        ? Number(Buffer.from(input.NextToken, 'base64url').toString()) || 0
        : 0;
    const page = max === undefined ? names : names.slice(start, start + max);
    const next = max !== undefined && start + max < names.length ? start + max : undefined;
    return {
      ...(page.length > 0 ? { QueueUrls: page.map((name) => service.url(name)) } : {}),
      ...(next === undefined ? {} : { NextToken: Buffer.from(String(next)).toString('base64url') }),
    };
  },
  async DeleteQueue(service, input) {
    await service.deleteQueue(service.queue(input.QueueUrl));
    return {};
  },
  async GetQueueAttributes(service, input) {
    const queue = service.queue(input.QueueUrl);
    const names = strings(input.AttributeNames);
    const attributes = await service.getAttributes(queue, names);
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  },
  async SetQueueAttributes(service, input) {
    await service.setAttributes(service.queue(input.QueueUrl), input.Attributes);
    return {};
  },
  async PurgeQueue(service, input) {
    await service.purge(service.queue(input.QueueUrl));
    return {};
  },
  async SendMessage(service, input) {
    const queue = service.queue(input.QueueUrl);
    const message = service.prepare(queue, input as SendInput);
    await service.send(queue, [message]);
    return sendResult(message);
  },
  async SendMessageBatch(service, input) {
    const queue = service.queue(input.QueueUrl);
    const entries = batchEntries(input);
    const total = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (total > MAX_BATCH_BYTES) throw batchRequestTooLong(MAX_BATCH_BYTES, total);
    const prepared: Array<{ id: string; message: StoredMessage }> = [];
    const failed: ReturnType<typeof failure>[] = [];
    for (const entry of entries) {
      try {
        prepared.push({ id: entry.Id, message: service.prepare(queue, entry as SendInput) });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        failed.push(failure(entry.Id, err));
      }
    }
    await service.send(
      queue,
      prepared.map((p) => p.message),
    );
    return { Successful: prepared.map((p) => ({ Id: p.id, ...sendResult(p.message) })), Failed: failed };
  },
  async ReceiveMessage(service, input, signal) {
    const queue = service.queue(input.QueueUrl);
    const max = integer(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibilityTimeoutSec = integer(input, 'VisibilityTimeout', 0, 43200);
    const waitSec = integer(input, 'WaitTimeSeconds', 0, 20);
    const received = await service.receive(queue, {
      max,
      signal,
      ...(visibilityTimeoutSec === undefined ? {} : { visibilityTimeoutSec }),
      ...(waitSec === undefined ? {} : { waitSec }),
    });
    const attributeNames = [...strings(input.AttributeNames), ...strings(input.MessageSystemAttributeNames)];
    const messageAttributeNames = strings(input.MessageAttributeNames);
    if (received.length === 0) return {};
    return { Messages: received.map((r) => receivedMessage(r, attributeNames, messageAttributeNames)) };
  },
  async DeleteMessage(service, input) {
    const queue = service.queue(input.QueueUrl);
    if (input.ReceiptHandle === undefined) throw missingParameter('ReceiptHandle');
    const [error] = await service.deleteMessages(queue, [input.ReceiptHandle]);
    if (error) throw error;
    return {};
  },
  async DeleteMessageBatch(service, input) {
    const queue = service.queue(input.QueueUrl);
    const entries = batchEntries(input);
    const errors = await service.deleteMessages(
      queue,
      entries.map((e) => e.ReceiptHandle),
    );
    return batchResult(entries, errors);
  },
  async ChangeMessageVisibility(service, input) {
    const queue = service.queue(input.QueueUrl);
    if (input.ReceiptHandle === undefined) throw missingParameter('ReceiptHandle');
    const [error] = await service.changeVisibility(queue, [
      { handle: input.ReceiptHandle, timeoutSec: input.VisibilityTimeout },
    ]);
    if (error) throw error;
    return {};
  },
  async ChangeMessageVisibilityBatch(service, input) {
    const queue = service.queue(input.QueueUrl);
    const entries = batchEntries(input);
    const errors = await service.changeVisibility(
      queue,
      entries.map((e) => ({ handle: e.ReceiptHandle, timeoutSec: e.VisibilityTimeout })),
    );
    return batchResult(entries, errors);
  },
};

function batchResult(entries: readonly BatchEntry[], errors: ReadonlyArray<SqsError | undefined>) {
  const successful: Array<{ Id: string }> = [];
  const failed: ReturnType<typeof failure>[] = [];
  entries.forEach((entry, i) => {
    const error = errors[i];
    if (error) failed.push(failure(entry.Id, error));
    else successful.push({ Id: entry.Id });
  });
  return { Successful: successful, Failed: failed };
}
