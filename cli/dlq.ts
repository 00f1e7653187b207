/**
 * Dead-letter queues for operators: read them without consuming, and replay what is in them.
 * Plain functions over SDK clients, so the same code runs against AWS and the local cloud (and tests).
 *
 * - ingest DLQ: each body is a DeadLetter (wiring/rule-event.ts): source function, reason, event.
 * - reports DLQ: each body is the original queue message (a rule event for reports),
 *   moved there by SQS after `maxReceiveCount` failed receives.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseDeviceTopic } from '#protocol/topics.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { functions, operatorDeadLetterQueues, type QueueName, queues } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import type { QueueSpec } from '#wiring/resources.ts';
import { type DeadLetter, DeadLetterSchema } from '#wiring/rule-event.ts';

/** The wiring queue behind each name operators type: the DLQs the wiring gives an operator name. */
export const DLQ_QUEUES = operatorDeadLetterQueues;
export type DlqName = keyof typeof DLQ_QUEUES;
export const DLQ_NAMES = Object.keys(DLQ_QUEUES) as DlqName[];
export const REPLAYABLE_DLQS: readonly DlqName[] = DLQ_NAMES;

/** Older dead letters hidden from the re-dead-letter search: tolerates clock skew with Lambda. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How many dead letters the re-dead-letter search looks through after each invocation. */
const REDEAD_SEARCH_LIMIT = 100;
/** Peek rounds that bring nothing new before a peek stops (SQS short polls sample servers). */
const IDLE_ROUNDS = 2;

export interface DeadLetterView {
  readonly messageId: string;
  readonly queue: DlqName;
  /** ingest: when the handler gave up; other DLQs: when the message was first sent. */
  readonly failedAt?: number;
  /** The wiring function that failed (for reports: the queue's consumer). */
  readonly source?: string;
  readonly errorType?: string;
  readonly reason?: string;
  readonly deviceId?: string;
  readonly topic?: string;
  /** Receives so far, the peeks of `dlq list` included. */
  readonly receiveCount?: number;
  /** The parsed body (a DeadLetter for ingest), or the raw text when it is not JSON. */
  readonly body: unknown;
}

/**
 * Up to `max` messages of a queue, read with VisibilityTimeout 0 so nothing is consumed (each read
 * still counts as a receive), de-duplicated by MessageId. Stops early when the queue has nothing new.
 */
export async function peekMessages(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  { waitTimeSec = 0 } = {},
): Promise<Message[]> {
  const found = new Map<string, Message>();
  let idleRounds = 0;
  for (let round = 0; found.size < max && idleRounds < IDLE_ROUNDS && round < max + IDLE_ROUNDS; round++) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - found.size),
        VisibilityTimeout: 0,
        WaitTimeSeconds: waitTimeSec,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) break;
    const before = found.size;
    for (const m of messages) {
      if (!m.MessageId) continue;
      const first = found.get(m.MessageId);
      // The first read's attributes (this peek's own rounds do not inflate the receive count), the
      // latest receipt handle (the only one a delete honours).
      if (first) found.set(m.MessageId, { ...first, ReceiptHandle: m.ReceiptHandle });
      else if (found.size < max) found.set(m.MessageId, m);
    }
    idleRounds = found.size === before ? idleRounds + 1 : 0;
  }
  return [...found.values()];
}

function parseBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return body ?? '';
  }
}

/** The function fed by the queue that redrives into `dlq` (reports → the reports function). */
export function consumerOf(dlq: QueueName): string | undefined {
  const fed = (Object.entries(queues) as Array<[QueueName, QueueSpec]>).find(
    ([, spec]) => spec.deadLetter?.queue === dlq,
  )?.[0];
  return (Object.entries(functions) as Array<[string, FunctionSpec]>).find(
    ([, spec]) => 'queue' in spec.trigger && spec.trigger.queue === fed,
  )?.[0];
}

const numberOr = (value: string | undefined): number | undefined =>
  value === undefined || Number.isNaN(Number(value)) ? undefined : Number(value);

export function toView(queue: DlqName, message: Message): DeadLetterView {
  const body = parseBody(message.Body);
  const base = {
    messageId: message.MessageId ?? '',
    queue,
    receiveCount: numberOr(message.Attributes?.ApproximateReceiveCount),
    body,
  };
  if (queue === 'ingest') {
    const parsed = DeadLetterSchema.safeParse(body);
    if (!parsed.success) {
      return {
        ...base,
        errorType: 'Unreadable',
        reason: `not a dead letter: ${formatZodIssues(parsed.error, { limit: 1 })}`,
      };
    }
    const { source, errorType, reason, deviceId, topic, failedAt } = parsed.data;
    return { ...base, source, errorType, reason, failedAt, deviceId, topic };
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const topic = typeof fields.topic === 'string' ? fields.topic : undefined;
  const deviceId =
    (topic ? parseDeviceTopic(topic)?.deviceId : undefined) ??
    (typeof fields.deviceId === 'string' ? fields.deviceId : undefined);
  return {
    ...base,
    source: consumerOf(DLQ_QUEUES[queue]),
    failedAt: numberOr(message.Attributes?.SentTimestamp),
    deviceId,
    topic,
  };
}

/** `dlq list`: the dead letters of one queue, oldest failure first, nothing consumed. */
export async function listDeadLetters(
  sqs: SQSClient,
  options: { queue: DlqName; queueUrl: string; max: number; waitTimeSec?: number },
): Promise<DeadLetterView[]> {
  const messages = await peekMessages(sqs, options.queueUrl, options.max, {
    waitTimeSec: options.waitTimeSec ?? 0,
  });
  return messages.map((m) => toView(options.queue, m)).sort((a, b) => (a.failedAt ?? 0) - (b.failedAt ?? 0));
}

/** Where a dead letter goes back to: its function (Invoke) or the queue that feeds its function. */
export type ReplayTarget =
  | { readonly kind: 'invoke'; readonly functionName: string }
  | { readonly kind: 'queue'; readonly queueUrl: string }
  | { readonly kind: 'skip'; readonly reason: string };

export type ReplayStatus = 'replayed' | 'requeued' | 'still-invalid' | 'failed' | 'skipped' | 'would-replay';

export interface ReplayOutcome {
  readonly messageId: string;
  readonly status: ReplayStatus;
  readonly source?: string;
  readonly deviceId?: string;
  /** Function name or queue URL. */
  readonly target?: string;
  readonly detail: string;
}

export interface ReplayOptions {
  readonly sqs: SQSClient;
  /** Needed when a target is an invocation. */
  readonly lambda?: LambdaClient;
  readonly queue: 'ingest' | 'reports';
  readonly queueUrl: string;
  readonly max: number;
  readonly dryRun?: boolean;
  /** Where dead letters of `source` (a wiring function name) go back to. */
  readonly targetFor: (source: string) => Promise<ReplayTarget>;
  /** How long a dead letter stays hidden from other readers while it is being replayed. @default 300 */
  readonly leaseSec?: number;
  readonly waitTimeSec?: number;
}

/** Stable JSON (sorted keys): the same event, however its keys were ordered. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** A dead letter the handler wrote for `event` during this replay (the handler returned success). */
async function findRedeadLetter(
  options: ReplayOptions,
  source: string,
  event: unknown,
  since: number,
): Promise<{ letter: DeadLetter; message: Message } | undefined> {
  const wanted = canonical(event);
  for (const message of await peekMessages(options.sqs, options.queueUrl, REDEAD_SEARCH_LIMIT)) {
    const parsed = DeadLetterSchema.safeParse(parseBody(message.Body));
    if (!parsed.success || parsed.data.source !== source || parsed.data.failedAt < since - CLOCK_SKEW_MS)
      continue;
    if (canonical(parsed.data.event) === wanted) return { letter: parsed.data, message };
  }
  return undefined;
}

function invocationError(payload: Uint8Array | undefined): string {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  const body = parseBody(text) as { errorType?: unknown; errorMessage?: unknown } | string;
  return typeof body === 'object' && body !== null
    ? `${String(body.errorType ?? 'Error')}: ${String(body.errorMessage ?? '')}`
    : text;
}

/** What to send back and where it came from, or why it cannot be replayed. */
function replayInput(
  queue: 'ingest' | 'reports',
  message: Message,
): { source: string; event: unknown; raw: string; deviceId?: string } | { error: string } {
  const view = toView(queue, message);
  if (queue === 'reports') {
    const source = view.source ?? 'reports';
    return {
      source,
      event: view.body,
      raw: message.Body ?? '',
      ...(view.deviceId ? { deviceId: view.deviceId } : {}),
    };
  }
  const parsed = DeadLetterSchema.safeParse(view.body);
  if (!parsed.success) return { error: view.reason ?? 'not a dead letter' };
  const { source, event, deviceId } = parsed.data;
  return { source, event, raw: JSON.stringify(event), ...(deviceId ? { deviceId } : {}) };
}

/**
 * Replays one leased dead letter. Returns whether the dead letter must stay in the queue.
 * An invocation is a success only without a function error and without a new dead letter for the
 * same event: handlers dead-letter invalid input and return success, so a still-invalid event is
 * reported with its new reason, the original is kept and the duplicate the replay produced removed.
 */
async function replayOne(options: ReplayOptions, message: Message): Promise<ReplayOutcome> {
  const messageId = message.MessageId ?? '';
  const input = replayInput(options.queue, message);
  if ('error' in input) return { messageId, status: 'failed', detail: input.error };
  const who = { messageId, source: input.source, ...(input.deviceId ? { deviceId: input.deviceId } : {}) };
  const target = await options.targetFor(input.source);
  if (target.kind === 'skip') return { ...who, status: 'skipped', detail: target.reason };
  const targetName = target.kind === 'invoke' ? target.functionName : target.queueUrl;
  if (options.dryRun) {
    return {
      ...who,
      status: 'would-replay',
      target: targetName,
      detail: `would ${target.kind} ${targetName}`,
    };
  }
  const failed = (detail: string): ReplayOutcome => ({
    ...who,
    status: 'failed',
    target: targetName,
    detail,
  });
  const remove = () =>
    options.sqs.send(
      new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );

  if (target.kind === 'queue') {
    try {
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: target.queueUrl,
          MessageBody: input.raw,
          ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
        }),
      );
    } catch (err) {
      return failed(`could not send to ${target.queueUrl}: ${(err as Error).message}`);
    }
    await remove();
    return {
      ...who,
      status: 'requeued',
      target: targetName,
      detail: 'sent back to the queue; its consumer validates it again',
    };
  }

  if (!options.lambda) return failed('no Lambda client to invoke with');
  const startedAt = Date.now();
  let result: { FunctionError?: string; Payload?: Uint8Array };
  try {
    result = await options.lambda.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(input.event)),
      }),
    );
  } catch (err) {
    return failed(`invoke failed: ${(err as Error).name}: ${(err as Error).message}`);
  }
  if (result.FunctionError)
    return failed(`function error (${result.FunctionError}) ${invocationError(result.Payload)}`);
  if (options.queue === 'ingest') {
    const again = await findRedeadLetter(options, input.source, input.event, startedAt);
    if (again) {
      await options.sqs.send(
        new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: again.message.ReceiptHandle }),
      );
      return {
        ...who,
        status: 'still-invalid',
        target: targetName,
        detail: `${again.letter.errorType}: ${again.letter.reason}`,
      };
    }
  }
  await remove();
  return { ...who, status: 'replayed', target: targetName, detail: 'handler succeeded' };
}

/**
 * `dlq replay`: up to `max` dead letters, each sent back to where it failed and deleted only when
 * that worked. Each is leased (hidden from other readers) while replayed; the ones that stay are
 * released at the end. A dry run only peeks.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayOutcome[]> {
  if (options.dryRun) {
    const messages = await peekMessages(options.sqs, options.queueUrl, options.max, {
      waitTimeSec: options.waitTimeSec ?? 0,
    });
    return Promise.all(messages.map((m) => replayOne(options, m)));
  }
  const outcomes: ReplayOutcome[] = [];
  const kept: Message[] = [];
  const seen = new Set<string>();
  // Dead letters written after the run began (by this run's invocations, or new failures) wait for
  // the next run: a replay never chases its own output.
  const startedAt = Date.now();
  try {
    for (let round = 0; outcomes.length < options.max && round < options.max + 10; round++) {
      const res = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, options.max - outcomes.length),
          VisibilityTimeout: options.leaseSec ?? 300,
          WaitTimeSeconds: options.waitTimeSec ?? 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = (res.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        if (Number(message.Attributes?.SentTimestamp ?? 0) > startedAt) {
          kept.push(message);
          continue;
        }
        const outcome = await replayOne(options, message).catch(
          (err: unknown): ReplayOutcome => ({
            messageId: message.MessageId ?? '',
            status: 'failed',
            detail: (err as Error).message,
          }),
        );
        outcomes.push(outcome);
        if (outcome.status !== 'replayed' && outcome.status !== 'requeued') kept.push(message);
      }
    }
  } finally {
    for (const message of kept) {
      await options.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined); // the lease runs out by itself
    }
  }
  return outcomes;
}
