/**
 * The commands feature's queue messages, validated where they are read: a message that does not
 * parse is dead-lettered with the reason, never retried.
 */
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { CommandIdSchema } from '#protocol/api/commands.ts';
import { DeviceIdSchema, EpochMsSchema } from '#protocol/ids.ts';

/** commandFanout: expand the next page of the selector, or cancel the next page of outcomes. */
export const FanoutMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('expand'), commandId: CommandIdSchema }).strict(),
  z
    .object({ kind: z.literal('sweep'), commandId: CommandIdSchema, after: DeviceIdSchema.optional() })
    .strict(),
]);
export type FanoutMessage = z.infer<typeof FanoutMessageSchema>;

/**
 * commandDispatch: deliver (or re-examine) one device's command; or a deadline: `expiry` expires it
 * if still undelivered, `result` times it out if still without a terminal result.
 */
export const DispatchMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dispatch'), commandId: CommandIdSchema, deviceId: DeviceIdSchema }).strict(),
  z
    .object({
      kind: z.literal('deadline'),
      commandId: CommandIdSchema,
      deviceId: DeviceIdSchema,
      expect: z.enum(['expiry', 'result']),
      due: EpochMsSchema,
    })
    .strict(),
]);
export type DispatchMessage = z.infer<typeof DispatchMessageSchema>;

export type CommandQueue = 'commandFanout' | 'commandDispatch';

export interface QueueDeps {
  readonly sqs: { send(command: SendMessageCommand | SendMessageBatchCommand): Promise<unknown> };
  /** Read lazily: a function only has the URLs of the queues its wiring names. */
  readonly queueUrl: (queue: CommandQueue) => string;
}

/** SQS's longest message delay; longer waits are chained. */
export const MAX_DELAY_SEC = 900;

export async function sendOne(
  deps: QueueDeps,
  queue: CommandQueue,
  body: FanoutMessage | DispatchMessage,
  delaySec = 0,
): Promise<void> {
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.queueUrl(queue),
      MessageBody: JSON.stringify(body),
      DelaySeconds: Math.min(MAX_DELAY_SEC, Math.max(0, Math.ceil(delaySec))),
    }),
  );
}

/** Sends in batches of ten (SQS's limit); throws when any entry was refused, so the caller retries. */
export async function sendDispatchBatch(
  deps: QueueDeps,
  entries: ReadonlyArray<{ body: DispatchMessage; delaySec?: number }>,
): Promise<void> {
  for (let i = 0; i < entries.length; i += 10) {
    const chunk = entries.slice(i, i + 10);
    const out = (await deps.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: deps.queueUrl('commandDispatch'),
        Entries: chunk.map((entry, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(entry.body),
          DelaySeconds: Math.min(MAX_DELAY_SEC, Math.max(0, Math.ceil(entry.delaySec ?? 0))),
        })),
      }),
    )) as { Failed?: Array<{ Id?: string; Message?: string }> } | undefined;
    const failed = out?.Failed ?? [];
    if (failed.length > 0) {
      throw new Error(`SQS refused ${failed.length} dispatch messages: ${failed[0]?.Message ?? 'no reason'}`);
    }
  }
}

/** A deadline at `due`, chained through delays of at most 15 minutes. */
export function sendDeadline(
  deps: QueueDeps,
  body: Extract<DispatchMessage, { kind: 'deadline' }>,
  now: number,
): Promise<void> {
  return sendOne(deps, 'commandDispatch', body, (body.due - now) / 1000);
}
