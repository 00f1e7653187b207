/**
 * SQS's behaviour over the store: queues, sends, receives with visibility timeouts and long polls,
 * receipt handles, deletes, and the redrive of a message received more than `maxReceiveCount` times
 * to its dead-letter queue (one atomic batch: it is in exactly one of the two queues).
 *
 * Memory mirrors the store. A change is made in memory, written, and only then answered; a sent
 * message becomes receivable once written, so nothing a client received can vanish in a crash.
 */
import { randomUUID } from 'node:crypto';
import { del, type LevelStore, putJson, type StoreOp } from '../level-store.ts';
import {
  invalidAttributeName,
  invalidParameter,
  invalidValue,
  messageNotInflight,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleIsInvalid,
  type SqsError,
} from './errors.ts';
import { checkAttributes, checkBody, md5Hex, messageSize, type StoredMessage } from './message.ts';
import { Queue, type QueueRecord } from './queue.ts';
import { checkSettableAttributes, KNOWN_ATTRIBUTES } from './queue-attributes.ts';

export const ACCOUNT_ID = '000000000000';
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

const queueKey = (name: string): string => `sqs/q/${name}`;
const messagePrefix = (queue: string): string => `sqs/m/${queue}/`;
const messageKey = (queue: string, seq: number): string =>
  `${messagePrefix(queue)}${String(seq).padStart(16, '0')}`;

export interface SendInput {
  readonly MessageBody?: unknown;
  readonly MessageAttributes?: unknown;
  readonly DelaySeconds?: unknown;
}

export interface ReceiveInput {
  readonly max: number;
  readonly visibilityTimeoutSec?: number;
  readonly waitSec?: number;
  readonly signal?: AbortSignal;
}

export interface Received {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
}

export class QueueService {
  readonly #store: LevelStore;
  readonly #region: string;
  readonly #endpoint: () => string;
  readonly #queues = new Map<string, Queue>();
  #seq = 0;
  readonly #stopping = new AbortController();

  private constructor(store: LevelStore, region: string, endpoint: () => string) {
    this.#store = store;
    this.#region = region;
    this.#endpoint = endpoint;
  }

  /** Loads every queue and message from the store. */
  static async open(store: LevelStore, region: string, endpoint: () => string): Promise<QueueService> {
    const service = new QueueService(store, region, endpoint);
    for await (const [, value] of store.entries('sqs/q/')) {
      const record = JSON.parse(value.toString('utf8')) as QueueRecord;
      service.#queues.set(record.name, new Queue(record, service.arn(record.name)));
    }
    const now = Date.now();
    for await (const [key, value] of store.entries('sqs/m/')) {
      const message = JSON.parse(value.toString('utf8')) as StoredMessage;
      service.#seq = Math.max(service.#seq, message.seq);
      const queueName = key.slice('sqs/m/'.length, key.lastIndexOf('/'));
      service.#queues.get(queueName)?.add(message, now);
    }
    return service;
  }

  arn(name: string): string {
    return `arn:aws:sqs:${this.#region}:${ACCOUNT_ID}:${name}`;
  }

  url(name: string): string {
    return `${this.#endpoint()}/${ACCOUNT_ID}/${name}`;
  }

  queue(url: unknown): Queue {
    if (typeof url !== 'string' || url === '') throw invalidParameter('The request must contain a QueueUrl.');
    let path = url;
    try {
      path = new URL(url).pathname;
    } catch {
      // a bare name or path: SQS accepts neither, but the name is what identifies the queue here
    }
    const queue = this.#queues.get(path.slice(path.lastIndexOf('/') + 1));
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  queueByName(name: unknown): Queue {
    const queue = typeof name === 'string' ? this.#queues.get(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  #byArn(arn: string): Queue | undefined {
    const queue = this.#queues.get(arn.slice(arn.lastIndexOf(':') + 1));
    return queue && queue.arn === arn ? queue : undefined;
  }

  async createQueue(name: unknown, attributes: unknown): Promise<Queue> {
    if (typeof name !== 'string' || !QUEUE_NAME.test(name))
      throw invalidValue(
        'QueueName',
        name,
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    const settable = checkSettableAttributes(attributes, (arn) => this.#byArn(arn) !== undefined);
    const existing = this.#queues.get(name);
    if (existing) {
      for (const [attr, value] of Object.entries(settable))
        if (existing.attributes[attr] !== value) throw queueNameExists(name);
      return existing;
    }
    const now = Date.now();
    const queue = new Queue({ name, attributes: settable, createdAt: now, modifiedAt: now }, this.arn(name));
    await this.#store.commit([putJson(queueKey(name), queue.record)]);
    this.#queues.set(name, queue);
    return queue;
  }

  async setAttributes(queue: Queue, attributes: unknown): Promise<void> {
    const settable = checkSettableAttributes(attributes, (arn) => this.#byArn(arn) !== undefined);
    queue.setAttributes(settable, Date.now());
    await this.#store.commit([putJson(queueKey(queue.name), queue.record)]);
  }

  async getAttributes(queue: Queue, names: readonly string[]): Promise<Record<string, string>> {
    const now = Date.now();
    await this.#store.commit(this.#refresh(queue, now));
    const counts = queue.counts(now);
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.record.modifiedAt / 1000)),
    };
    if (names.includes('All')) return all;
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = all[name];
      if (value !== undefined) out[name] = value;
      else if (!KNOWN_ATTRIBUTES.has(name)) throw invalidAttributeName(name);
    }
    return out;
  }

  listQueues(prefix: string): string[] {
    return [...this.#queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  async deleteQueue(queue: Queue): Promise<void> {
    this.#queues.delete(queue.name);
    queue.waiters.close();
    const messages = queue.takeAll();
    await this.#store.commit([
      del(queueKey(queue.name)),
      ...messages.map((m) => del(messageKey(queue.name, m.seq))),
    ]);
  }

  async purge(queue: Queue): Promise<void> {
    const messages = queue.takeAll();
    await this.#store.commit(messages.map((m) => del(messageKey(queue.name, m.seq))));
  }

  /** Validates one message to send; throws the SqsError SQS answers with. */
  prepare(queue: Queue, input: SendInput, now = Date.now()): StoredMessage {
    const body = checkBody(input.MessageBody);
    const attributes = checkAttributes(input.MessageAttributes);
    const max = queue.seconds('MaximumMessageSize');
    if (messageSize(body, attributes) > max)
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
      );
    const delay =
      input.DelaySeconds === undefined ? queue.seconds('DelaySeconds') : Number(input.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900)
      throw invalidValue('DelaySeconds', input.DelaySeconds, 'Must be an integer from 0 to 900.');
    return {
      id: randomUUID(),
      seq: ++this.#seq,
      body,
      md5OfBody: md5Hex(body),
      ...(attributes ? { attributes } : {}),
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
  }

  /** Writes prepared messages in one batch; they are receivable once it is written. */
  async send(queue: Queue, messages: readonly StoredMessage[]): Promise<void> {
    await this.#store.commit(messages.map((m) => putJson(messageKey(queue.name, m.seq), m)));
    const now = Date.now();
    for (const message of messages) queue.add(message, now);
  }

  async receive(queue: Queue, input: ReceiveInput): Promise<Received[]> {
    const waitSec = input.waitSec ?? queue.seconds('ReceiveMessageWaitTimeSeconds');
    const deadline = Date.now() + waitSec * 1000;
    const signal = input.signal
      ? AbortSignal.any([input.signal, this.#stopping.signal])
      : this.#stopping.signal;
    for (;;) {
      const received = await this.#take(queue, input.max, input.visibilityTimeoutSec);
      const now = Date.now();
      if (received.length > 0 || now >= deadline || signal.aborted || !this.#queues.has(queue.name))
        return received;
      const next = queue.nextVisibleAt();
      await queue.waiters.wait(next === undefined ? deadline : Math.min(deadline, next), signal);
    }
  }

  async #take(queue: Queue, max: number, visibilityTimeoutSec: number | undefined): Promise<Received[]> {
    const now = Date.now();
    const ops = this.#refresh(queue, now);
    const redrive = queue.redrive;
    const deadLetterQueue = redrive ? this.#byArn(redrive.deadLetterTargetArn) : undefined;
    const moved: StoredMessage[] = [];
    const received: Received[] = [];
    const leaseMs = (visibilityTimeoutSec ?? queue.seconds('VisibilityTimeout')) * 1000;
    for (const message of queue.visible()) {
      if (received.length >= max) break;
      if (queue.isExpired(message, now)) {
        queue.remove(message.id);
        ops.push(del(messageKey(queue.name, message.seq)));
        continue;
      }
      if (redrive && deadLetterQueue && message.receiveCount >= redrive.maxReceiveCount) {
        queue.remove(message.id);
        const dead: StoredMessage = {
          ...message,
          seq: ++this.#seq,
          visibleAt: now,
          receiveCount: 0,
          deadLetterSourceArn: queue.arn,
        };
        delete dead.firstReceivedAt;
        delete dead.receipt;
        ops.push(
          del(messageKey(queue.name, message.seq)),
          putJson(messageKey(deadLetterQueue.name, dead.seq), dead),
        );
        moved.push(dead);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receipt = randomUUID();
      queue.hide(message, now + leaseMs);
      ops.push(putJson(messageKey(queue.name, message.seq), message));
      received.push({
        message: { ...message },
        receiptHandle: encodeReceipt(queue.name, message.id, message.receipt),
      });
    }
    await this.#store.commit(ops);
    if (deadLetterQueue) for (const dead of moved) deadLetterQueue.add(dead, now);
    return received;
  }

  /** Makes due messages visible; returns the deletes of those past the retention period. */
  #refresh(queue: Queue, now: number): StoreOp[] {
    return queue.refresh(now).map((m) => del(messageKey(queue.name, m.seq)));
  }

  /** Deletes by receipt handle; a handle older than the message's latest receive deletes nothing (SQS). */
  async deleteMessages(queue: Queue, handles: readonly unknown[]): Promise<Array<SqsError | undefined>> {
    const ops: StoreOp[] = [];
    const results = handles.map((handle) => {
      const receipt = decodeReceipt(queue, handle);
      if (receipt instanceof Error) return receipt;
      const message = queue.find(receipt.id);
      if (message && message.receipt === receipt.nonce) {
        queue.remove(message.id);
        ops.push(del(messageKey(queue.name, message.seq)));
      }
      return undefined;
    });
    await this.#store.commit(ops);
    return results;
  }

  async changeVisibility(
    queue: Queue,
    entries: ReadonlyArray<{ handle: unknown; timeoutSec: unknown }>,
  ): Promise<Array<SqsError | undefined>> {
    const now = Date.now();
    const ops = this.#refresh(queue, now);
    const results = entries.map(({ handle, timeoutSec }) => {
      const receipt = decodeReceipt(queue, handle);
      if (receipt instanceof Error) return receipt;
      const timeout = Number(timeoutSec);
      if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43200)
        return invalidValue('VisibilityTimeout', timeoutSec, 'Must be an integer from 0 to 43200.');
      const message = queue.find(receipt.id);
      if (!message || message.receipt !== receipt.nonce)
        return invalidValue('ReceiptHandle', handle, 'The receipt handle has expired.');
      if (!queue.isInFlight(message, now)) return messageNotInflight();
      if (timeout === 0) queue.show(message, now);
      else queue.hide(message, now + timeout * 1000);
      ops.push(putJson(messageKey(queue.name, message.seq), message));
      return undefined;
    });
    await this.#store.commit(ops);
    return results;
  }

  /** Ends long polls (they answer with what they have: nothing). */
  stop(): void {
    this.#stopping.abort();
    for (const queue of this.#queues.values()) queue.waiters.close();
  }
}

function encodeReceipt(queue: string, id: string, nonce: string): string {
  return Buffer.from(`${queue}\n${id}\n${nonce}`).toString('base64url');
}

function decodeReceipt(queue: Queue, handle: unknown): { id: string; nonce: string } | SqsError {
  if (typeof handle !== 'string' || handle === '') return receiptHandleIsInvalid(String(handle ?? ''));
  const [name, id, nonce, ...rest] = Buffer.from(handle, 'base64url').toString('utf8').split('\n');
  if (name !== queue.name || !id || !nonce || rest.length > 0) return receiptHandleIsInvalid(handle);
  return { id, nonce };
}
