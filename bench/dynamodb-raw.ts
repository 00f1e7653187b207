/**
 * The DynamoDB emulator's raw request rate as the local cloud runs it (dynalite in its worker
 * thread): many concurrent conditional PutItem requests of about the size of the items the report
 * handler writes, for a fixed duration. The ceiling the pipeline's own DynamoDB traffic is compared
 * against (the efficiency figure).
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

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

export async function runRawDynamoDbBench(
  endpoint: string,
  region: string,
  table: string,
  options: RawDynamoDbOptions,
): Promise<RawDynamoDbResult> {
  const client = new DynamoDBClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: options.concurrency } },
  });
  const data = 'x'.repeat(options.itemBytes);
  let n = 0;
  const put = (i: number) =>
    client.send(
      new PutItemCommand({
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
      }),
    );
  const runFor = async (ms: number): Promise<number> => {
    const until = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          await put(n++);
          done++;
        }
      }),
    );
    return done;
  };
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
    client.destroy();
  }
}
