/**
 * Counts the requests a handler's own AWS clients send, by adding a middleware to their stacks:
 * DynamoDB requests with the capacity they consumed (ReturnConsumedCapacity is asked for on every
 * request, so the emulator reports it as DynamoDB bills it), S3 requests by kind, SQS sends with
 * their 64 KB chunks. For benches only: the handlers' code is unchanged.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface RequestTally {
  dynamodb: {
    requests: Record<string, number>;
    writeUnits: number;
    readUnits: number;
    conditionFailures: number;
  };
  s3: { puts: number; gets: number; lists: number; putBytes: number };
  sqs: { sends: number; sendChunks: number };
}

const SQS_CHUNK = 64 * 1024;
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

const emptyTally = (): RequestTally => ({
  dynamodb: { requests: {}, writeUnits: 0, readUnits: 0, conditionFailures: 0 },
  s3: { puts: 0, gets: 0, lists: 0, putBytes: 0 },
  sqs: { sends: 0, sendChunks: 0 },
});

type Stack = {
  add(
    middleware: (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) => (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
    options: { step: 'initialize'; name: string },
  ): void;
};
const stackOf = (client: { middlewareStack: unknown }) => client.middlewareStack as Stack;
/** `PutItemCommand` and the document client's `PutCommand` alike → the API operation. */
const operationOf = (commandName = '') =>
  ({ Put: 'PutItem', Get: 'GetItem', Update: 'UpdateItem', Delete: 'DeleteItem', Query: 'Query' })[
    commandName.replace(/Command$/, '')
  ] ?? commandName.replace(/Command$/, '');

function capacityOf(output: Record<string, unknown>): number {
  const consumed = output.ConsumedCapacity as
    | { CapacityUnits?: number }
    | { CapacityUnits?: number }[]
    | undefined;
  const all = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  return all.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
}

function bodyBytes(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

/** Installs the counters; the returned function gives the counts so far (a copy). */
export function tallyRequests(clients: {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
}): () => RequestTally {
  const tally = emptyTally();
  const name = 'benchRequestTally';
  stackOf(clients.dynamodb).add(
    (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      tally.dynamodb.requests[operation] = (tally.dynamodb.requests[operation] ?? 0) + 1;
      args.input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        const units = capacityOf(result.output);
        if (WRITES.has(operation)) tally.dynamodb.writeUnits += units;
        else tally.dynamodb.readUnits += units;
        return result;
      } catch (err) {
        // A failed condition is billed like the write; the emulator reports no capacity for it.
        if ((err as Error).name === 'ConditionalCheckFailedException') tally.dynamodb.conditionFailures++;
        throw err;
      }
    },
    { step: 'initialize', name },
  );
  stackOf(clients.s3).add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (command.startsWith('Put')) {
        tally.s3.puts++;
        tally.s3.putBytes += bodyBytes(args.input.Body);
      } else if (command.startsWith('List')) tally.s3.lists++;
      else if (command.startsWith('Get') || command.startsWith('Head')) tally.s3.gets++;
      return next(args);
    },
    { step: 'initialize', name },
  );
  stackOf(clients.sqs).add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand') {
        tally.sqs.sends++;
        tally.sqs.sendChunks += Math.max(1, Math.ceil(bodyBytes(args.input.MessageBody) / SQS_CHUNK));
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => structuredClone(tally);
}

/** The counts of `after` minus those of `before`. */
export function tallyDelta(after: RequestTally, before: RequestTally): RequestTally {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.dynamodb.requests)) {
    const d = n - (before.dynamodb.requests[op] ?? 0);
    if (d > 0) requests[op] = d;
  }
  return {
    dynamodb: {
      requests,
      writeUnits: after.dynamodb.writeUnits - before.dynamodb.writeUnits,
      readUnits: after.dynamodb.readUnits - before.dynamodb.readUnits,
      conditionFailures: after.dynamodb.conditionFailures - before.dynamodb.conditionFailures,
    },
    s3: {
      puts: after.s3.puts - before.s3.puts,
      gets: after.s3.gets - before.s3.gets,
      lists: after.s3.lists - before.s3.lists,
      putBytes: after.s3.putBytes - before.s3.putBytes,
    },
    sqs: {
      sends: after.sqs.sends - before.sqs.sends,
      sendChunks: after.sqs.sendChunks - before.sqs.sendChunks,
    },
  };
}
