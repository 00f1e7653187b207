/**
 * The DynamoDB emulator's raw request rate as the local cloud runs it (dynalite in its worker
 * thread): many concurrent conditional PutItem requests (the kind most of the report handler's
 * requests are) with an item about the size of a shard item, for a fixed duration.
 *
 * The client is deliberately thin: pre-serialised bodies over kept-alive sockets, an unverified
 * signature (dynalite checks the Authorization header's form, not its signature). With the SDK as
 * the client, its per-request middleware in the bench's thread saturated before the emulator did,
 * and the figure measured the client, not the emulator.
 */
import { Agent, request } from 'node:http';
import { closedLoop } from './closed-loop.ts';

export interface RawDynamoDbOptions {
  /** Requests in flight at once: enough to keep the emulator's thread busy. */
  concurrency: number;
  durationMs: number;
  /** Size of the item's payload attribute (a shard item's `data`). */
  itemBytes: number;
}

export interface RawDynamoDbResult {
  options: RawDynamoDbOptions;
  operation: 'PutItem';
  requests: number;
  requestsPerSec: number;
}

const AMZ_DATE = '20240601T000000Z';
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=local/20240601/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';

export async function runRawDynamoDbBench(
  endpoint: string,
  table: string,
  options: RawDynamoDbOptions,
): Promise<RawDynamoDbResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(endpoint);
  const data = 'x'.repeat(options.itemBytes);
  const body = (i: number) =>
    JSON.stringify({
      TableName: table,
      Item: {
        deviceId: { S: `bench-raw-${i % 500}` },
        sk: { S: `shard#software#${i}` },
        data: { S: data },
        g: { N: String(i) },
        d: { S: 'bench-raw' },
        writtenAt: { N: String(Date.now()) },
      },
      ConditionExpression: 'attribute_not_exists(sk)',
      ReturnConsumedCapacity: 'TOTAL',
    });
  const put = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const payload = body(i);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(payload),
            'x-amz-target': 'DynamoDB_20120810.PutItem',
            'x-amz-date': AMZ_DATE,
            authorization: AUTHORIZATION,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve()
              : reject(new Error(`raw PutItem: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const runFor = closedLoop(options.concurrency, put);
  try {
    // Warm-up: sockets open, JIT and LevelDB caches warm, so the timed part is the steady rate.
    await runFor(Math.min(1000, options.durationMs / 4));
    const t0 = performance.now();
    const requests = await runFor(options.durationMs);
    const elapsed = performance.now() - t0;
    return {
      options,
      operation: 'PutItem',
      requests,
      requestsPerSec: Math.round((requests / elapsed) * 1000),
    };
  } finally {
    agent.destroy();
  }
}
