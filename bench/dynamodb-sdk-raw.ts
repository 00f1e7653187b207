/**
 * The request rate the handlers' own DynamoDB client can drive the emulator at, with no pipeline
 * around it: the same number of worker threads as the local cloud's handler pool, each importing
 * the handlers' client module (lambdas/commons/aws/dynamodb.ts, same SDK, same configuration, same
 * environment) and sending conditional PutItem requests as fast as it can.
 *
 * This is the baseline the pipeline's efficiency is measured against. On one 2-core machine the
 * SDK's per-request CPU in the calling thread is of the same order as dynalite's in its own, so the
 * thin client of dynamodb-raw.ts (the emulator's ceiling) is out of reach of any SDK caller, the
 * pipeline or not; this rate is what a handler that did nothing but call DynamoDB would reach.
 */
import { once } from 'node:events';
import { spawnTsWorker } from '#local/ts-worker.ts';

export interface SdkRawOptions {
  /** Worker threads, as many as the local cloud's handler pool. */
  threads: number;
  /** Requests in flight per thread. */
  concurrency: number;
  durationMs: number;
  /** Size of the item's payload attribute (a shard item's `data`). */
  itemBytes: number;
}

export interface SdkRawResult {
  options: SdkRawOptions;
  operation: 'PutItem';
  client: string;
  requests: number;
  requestsPerSec: number;
  /** CPU time of the whole process (emulator and client threads) per request, in ms. */
  cpuMsPerRequest: number;
}

/** What each worker is given and sends back. */
export interface SdkRawWorkerInput {
  env: Record<string, string>;
  table: string;
  thread: number;
  concurrency: number;
  durationMs: number;
  itemBytes: number;
}
export interface SdkRawWorkerOutput {
  requests: number;
  elapsedMs: number;
}

export async function runSdkRawBench(
  env: Readonly<Record<string, string>>,
  table: string,
  options: SdkRawOptions,
): Promise<SdkRawResult> {
  const workers = Array.from({ length: options.threads }, (_, thread) => {
    const input: SdkRawWorkerInput = {
      env: { ...env },
      table,
      thread,
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      itemBytes: options.itemBytes,
    };
    return spawnTsWorker(new URL('./dynamodb-sdk-raw-worker.ts', import.meta.url), input);
  });
  try {
    await Promise.all(workers.map((w) => once(w, 'message')));
    const cpu0 = process.cpuUsage();
    const done = workers.map((w) => once(w, 'message') as Promise<[SdkRawWorkerOutput]>);
    for (const w of workers) w.postMessage('go');
    const outputs = (await Promise.all(done)).map(([output]) => output);
    const cpu = process.cpuUsage(cpu0);
    const requests = outputs.reduce((n, o) => n + o.requests, 0);
    const requestsPerSec = Math.round(outputs.reduce((r, o) => r + (o.requests / o.elapsedMs) * 1000, 0));
    return {
      options,
      operation: 'PutItem',
      client: 'DynamoDBDocumentClient of lambdas/commons/aws/dynamodb.ts',
      requests,
      requestsPerSec,
      cpuMsPerRequest: Math.round(((cpu.user + cpu.system) / 1000 / requests) * 100) / 100,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
