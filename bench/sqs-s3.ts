/**
 * `npm run bench:sqs-s3`: throughput of the local SQS/S3 emulator through the real SDK clients, once
 * in one process as in the local cloud (clients and emulator share the event loop), once with the
 * emulator in its own process. Every figure includes the durable write before each answer. Writes
 * bench/results/sqs-s3.json.
 *
 *   send+receive+delete: producers SendMessage one at a time while consumers ReceiveMessage (10,
 *   long poll) and DeleteMessageBatch, like the queue pollers; the rate is messages through per second.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { REPO_ROOT } from '#local/cloud.ts';
import { createBuckets, startSqsS3 } from '#local/sqs-s3.ts';
import { buckets } from '#wiring/fleet.ts';

const MESSAGES = 5000;
const PRODUCERS = 8;
const CONSUMERS = 4;
const OBJECTS = 2000;
const OBJECT_BYTES = 8 * 1024;

async function pool(workers: number, total: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < total; i = next++) await work(i);
    }),
  );
}

interface Figures {
  readonly sendReceiveDeletePerSec: number;
  readonly putObjectPerSec: number;
  readonly getObjectPerSec: number;
}

async function measure(endpoint: string): Promise<Figures> {
  const config = {
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
    const body = JSON.stringify({ topic: 'dt/fleet/bench/report', payload: 'x'.repeat(700) });

    let consumed = 0;
    let producing = true;
    const started = performance.now();
    const consumers = Array.from({ length: CONSUMERS }, async () => {
      while (producing || consumed < MESSAGES) {
        const res = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const messages = res.Messages ?? [];
        if (messages.length === 0) continue;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        consumed += messages.length;
      }
    });
    await pool(PRODUCERS, MESSAGES, async () => {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    });
    producing = false;
    await Promise.all(consumers);
    const pipelineSec = (performance.now() - started) / 1000;

    const bucket = buckets.archive.localName;
    await createBuckets(s3);
    const object = Buffer.alloc(OBJECT_BYTES, 7);
    const putStarted = performance.now();
    await pool(8, OBJECTS, async (i) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `bench/${i}`, Body: object }));
    });
    const putSec = (performance.now() - putStarted) / 1000;
    const getStarted = performance.now();
    await pool(8, OBJECTS, async (i) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `bench/${i}` }));
      await got.Body?.transformToByteArray();
    });
    const getSec = (performance.now() - getStarted) / 1000;
    return {
      sendReceiveDeletePerSec: Math.round(MESSAGES / pipelineSec),
      putObjectPerSec: Math.round(OBJECTS / putSec),
      getObjectPerSec: Math.round(OBJECTS / getSec),
    };
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}

async function inProcess(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-bench-sqs-s3-'));
  const emulator = await startSqsS3({ port: 0, region: 'eu-west-1', dir });
  try {
    return await measure(emulator.endpoint);
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function separateProcess(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-bench-sqs-s3-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'local', 'sqs-s3-process.ts'), dir],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    return await measure((JSON.parse(line) as { endpoint: string }).endpoint);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const shared = await inProcess();
  const apart = await separateProcess();
  const figures = {
    generatedBy: 'npm run bench:sqs-s3',
    messages: MESSAGES,
    producers: PRODUCERS,
    consumers: CONSUMERS,
    objects: OBJECTS,
    objectBytes: OBJECT_BYTES,
    sameProcess: shared,
    separateProcess: apart,
    note: '2-core machine shared with other work; a durable write before every answer; in the same process the SDK clients take most of the CPU',
  };
  const row = (name: string, key: keyof Figures, unit: string): string =>
    `  ${name.padEnd(52)}${String(shared[key]).padStart(8)}${String(apart[key]).padStart(10)}  ${unit}`;
  console.log('SQS/S3 emulator through the SDK          same process  separate process');
  console.log(
    row('SendMessage + ReceiveMessage(10) + DeleteMessageBatch', 'sendReceiveDeletePerSec', 'messages/s'),
  );
  console.log(row(`PutObject (${OBJECT_BYTES / 1024} KB)`, 'putObjectPerSec', 'objects/s'));
  console.log(row(`GetObject (${OBJECT_BYTES / 1024} KB)`, 'getObjectPerSec', 'objects/s'));
  const resultsDir = join(import.meta.dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'sqs-s3.json'), `${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
