/**
 * SQS for the local cloud's own callers: the rule engine (IoT's SQS rule action) and the event
 * source mappings (queue-poller.ts). In AWS these are parts of the platform, not requests our
 * functions make through the SDK; here they call the emulator's operations in the same process
 * with the SDK's command input, so they get the same validation, errors and answers as over HTTP
 * without each request being serialised, signed, sent and parsed twice. The functions themselves
 * still reach SQS through the SDK over HTTP.
 */
import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageCommand,
  type SendMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { type Input, type Operation, operations } from './operations.ts';
import type { QueueService } from './queue-service.ts';

/** The SQS calls the rule engine and the pollers make; the SDK's SQSClient has the same shape. */
export interface QueueClient {
  send(command: SendMessageCommand): Promise<SendMessageCommandOutput>;
  send(
    command: ReceiveMessageCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<ReceiveMessageCommandOutput>;
  send(command: DeleteMessageBatchCommand): Promise<DeleteMessageBatchCommandOutput>;
}

type Command = SendMessageCommand | ReceiveMessageCommand | DeleteMessageBatchCommand;

function operationOf(command: Command): string {
  if (command instanceof SendMessageCommand) return 'SendMessage';
  if (command instanceof ReceiveMessageCommand) return 'ReceiveMessage';
  if (command instanceof DeleteMessageBatchCommand) return 'DeleteMessageBatch';
  throw new Error(`in-process SQS: ${(command as object).constructor.name} is not supported`);
}

const metadata = { $metadata: {} };

/** Binary attribute values travel as base64 in JSON; the SDK hands them to callers as bytes. */
function asSdkMessage(message: Message): Message {
  if (!message.MessageAttributes) return message;
  // Attribute names are data: a name like __proto__ stays a name.
  const attributes: Record<string, MessageAttributeValue> = Object.create(null);
  for (const [name, value] of Object.entries(message.MessageAttributes)) {
    const binary = value.BinaryValue as unknown;
    attributes[name] =
      typeof binary === 'string' ? { ...value, BinaryValue: Buffer.from(binary, 'base64') } : value;
  }
  return { ...message, MessageAttributes: attributes };
}

export function inProcessQueueClient(service: QueueService): QueueClient {
  const never = new AbortController().signal;
  return {
    async send(command: Command, options?: { abortSignal?: AbortSignal }): Promise<never> {
      const operation = operations[operationOf(command)] as Operation;
      const output = (await operation(
        service,
        { ...command.input } as Input,
        options?.abortSignal ?? never,
      )) as {
        Messages?: Message[];
      };
      const shaped = output.Messages ? { ...output, Messages: output.Messages.map(asSdkMessage) } : output;
      return { ...metadata, ...shaped } as never;
    },
  };
}
