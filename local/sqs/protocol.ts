/**
 * SQS over the AWS JSON 1.0 protocol, as @aws-sdk/client-sqs v3 speaks it: `POST /` with
 * `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body; answers in JSON, errors with `__type` and
 * the query-compatible `x-amzn-query-error` header. The operations are in operations.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { batchRequestTooLong, internalFailure, SqsError, unknownOperation } from './errors.ts';
import { type Input, MAX_BATCH_BYTES, operations } from './operations.ts';
import type { QueueService } from './queue-service.ts';

/** Request bodies above this are refused before parsing (a full batch in JSON stays well below). */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const JSON_TYPE = 'application/x-amz-json-1.0';

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function replyError(res: ServerResponse, err: SqsError): void {
  reply(
    res,
    err.status,
    { __type: err.type, message: err.message },
    {
      'x-amzn-query-error': `${err.queryCode};${err.status < 500 ? 'Sender' : 'Receiver'}`,
    },
  );
}

async function readJson(req: IncomingMessage): Promise<Input> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw batchRequestTooLong(MAX_BATCH_BYTES, size);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Input;
  } catch {
    throw new SqsError(
      'com.amazon.coral.service#SerializationException',
      'SerializationException',
      'Malformed JSON body.',
    );
  }
}

/** Answers one SQS request (the caller has seen its `x-amz-target`). */
export async function handleSqs(
  service: QueueService,
  req: IncomingMessage,
  res: ServerResponse,
  onInternalError: (err: unknown) => void,
): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  // A long poll ends when its caller goes away.
  const aborted = new AbortController();
  res.once('close', () => aborted.abort());
  try {
    const operation = target.startsWith('AmazonSQS.')
      ? operations[target.slice('AmazonSQS.'.length)]
      : undefined;
    if (!operation || !Object.hasOwn(operations, target.slice('AmazonSQS.'.length))) {
      await readJson(req).catch(() => undefined);
      throw unknownOperation(target);
    }
    const input = await readJson(req);
    reply(res, 200, await operation(service, input, aborted.signal));
  } catch (err) {
    if (err instanceof SqsError) return replyError(res, err);
    onInternalError(err);
    replyError(res, internalFailure(err instanceof Error ? err.message : String(err)));
  }
}
