/** One thread of dynamodb-sdk-raw.ts: the handlers' client module, conditional PutItem in a loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { closedLoop } from './closed-loop.ts';
import type { SdkRawWorkerInput, SdkRawWorkerOutput } from './dynamodb-sdk-raw.ts';

const input = workerData as SdkRawWorkerInput;
// Before the client module loads: it builds its clients from the environment, as in a Lambda.
Object.assign(process.env, input.env);
const { ddb } = await import('#lambdas/commons/aws/dynamodb.ts');
const { PutCommand } = await import('@aws-sdk/lib-dynamodb');

const data = 'x'.repeat(input.itemBytes);
// Unique per run: the baseline runs twice against one table, and its puts are conditional.
const run = `${process.pid}-${Date.now().toString(36)}-${input.thread}`;
const put = (i: number) =>
  ddb.send(
    new PutCommand({
      TableName: input.table,
      Item: {
        deviceId: `bench-sdk-${run}-${i % 500}`,
        sk: `shard#software#${i}`,
        data,
        g: i,
        d: 'bench-sdk',
        writtenAt: Date.now(),
      },
      ConditionExpression: 'attribute_not_exists(sk)',
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
const runFor = closedLoop(input.concurrency, put);

// Warm-up: sockets open, JIT warm, so the timed part is the steady rate. Then all threads start
// the timed part together, when the parent says so, so that it can measure their CPU time.
await runFor(Math.min(1000, input.durationMs / 4));
parentPort?.postMessage('ready');
parentPort?.once('message', async () => {
  const t0 = performance.now();
  const requests = await runFor(input.durationMs);
  const output: SdkRawWorkerOutput = { requests, elapsedMs: performance.now() - t0 };
  parentPort?.postMessage(output);
});
