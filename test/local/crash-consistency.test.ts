/**
 * kill -9 of the SQS/S3 emulator's process group in the middle of a stream of sends, receives,
 * redrives, deletes and object writes, then a restart on the same data dir: everything acknowledged
 * is there, everything whose deletion was acknowledged stays gone, nothing is in two places.
 * (`npm run test:crash` does the same to the whole local cloud while a simulated fleet reports.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { createBuckets, createQueues, type QueueRef } from '#local/sqs-s3.ts';
import { buckets, type QueueName } from '#wiring/fleet.ts';
import { type GroupProcess, spawnGroup } from '../support/process-group.ts';
import { waitFor } from '../support/wait.ts';

const bucket = buckets.archive.localName;

interface Emulator {
  readonly process: GroupProcess;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly queues: Record<QueueName, QueueRef>;
}

async function startEmulator(dir: string): Promise<Emulator> {
  const child = spawnGroup(process.execPath, ['--import', 'tsx', 'local/sqs-s3-process.ts', dir], {
    cwd: REPO_ROOT,
  });
  const { endpoint } = JSON.parse(await child.line(/^\{"endpoint"/, 30_000)) as { endpoint: string };
  const config = {
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const queues = await createQueues(sqs);
  await createBuckets(s3);
  return { process: child, sqs, s3, queues };
}

/** What the clients were told succeeded before the crash. */
interface Acknowledged {
  readonly sent: Map<string, string>;
  readonly deletedMessages: Set<string>;
  readonly objects: Map<string, string>;
  readonly deletedObjects: Set<string>;
}

/** Runs writers against the emulator until one of them fails (the kill); returns what was acknowledged. */
async function stream(
  emulator: Emulator,
  round: number,
  ack: Acknowledged,
  stop: Promise<void>,
): Promise<void> {
  const { sqs, s3, queues } = emulator;
  let running = true;
  void stop.then(() => {
    running = false;
  });
  const loop = async (step: (i: number) => Promise<void>): Promise<void> => {
    for (let i = 0; running; i++) {
      try {
        await step(i);
      } catch {
        return; // the emulator is gone; what was in flight is neither acknowledged nor expected
      }
    }
  };
  const sender = loop(async (i) => {
    const body = `r${round}-m${i}`;
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queues.reports.url, MessageBody: body }));
    ack.sent.set(sent.MessageId ?? '', body);
  });
  // Receives with VisibilityTimeout 0 count towards maxReceiveCount: some messages are redriven to
  // the dead-letter queue while others are deleted.
  const consumer = loop(async () => {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.reports.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    const toDelete = (res.Messages ?? []).filter((m: Message) => (m.Body?.length ?? 0) % 3 === 0);
    for (const m of toDelete) {
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queues.reports.url, ReceiptHandle: m.ReceiptHandle }),
      );
      ack.deletedMessages.add(m.MessageId ?? '');
    }
  });
  const operator = loop(async () => {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.reportsDeadLetter.url,
        MaxNumberOfMessages: 2,
        VisibilityTimeout: 0,
      }),
    );
    const [first] = res.Messages ?? [];
    if (!first) return;
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: queues.reportsDeadLetter.url,
        ReceiptHandle: first.ReceiptHandle,
      }),
    );
    ack.deletedMessages.add(first.MessageId ?? '');
  });
  const archiver = loop(async (i) => {
    const key = `crash/r${round}/${i}`;
    const body = `${key}:${'x'.repeat(i % 50)}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    ack.objects.set(key, body);
    if (i % 4 === 3) {
      const victim = `crash/r${round}/${i - 2}`;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: victim }));
      ack.objects.delete(victim);
      ack.deletedObjects.add(victim);
    }
  });
  await Promise.all([sender, consumer, operator, archiver]);
}

/** Every message of a queue, each once (received with a long visibility timeout). */
async function drain(sqs: SQSClient, url: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (!res.Messages?.length) return found;
    for (const m of res.Messages) found.set(m.MessageId ?? '', m.Body ?? '');
  }
}

describe('SQS/S3 after kill -9', () => {
  let dir: string;
  let emulator: Emulator | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-crash-'));
  });
  afterAll(async () => {
    emulator?.sqs.destroy();
    emulator?.s3.destroy();
    emulator?.process.signal('SIGKILL');
    await emulator?.process.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged message, dead letter and object, and nothing whose deletion was acknowledged', {
    timeout: 180_000,
  }, async () => {
    const acked: Acknowledged[] = [];
    for (let round = 0; round < 2; round++) {
      const running = await startEmulator(dir);
      emulator = running;
      const ack: Acknowledged = {
        sent: new Map(),
        deletedMessages: new Set(),
        objects: new Map(),
        deletedObjects: new Set(),
      };
      // Killed at a moment the writers do not choose: once enough is acknowledged (however slow the
      // machine), plus a random delay, while requests are in flight.
      const enough = 30 + Math.floor(Math.random() * 50);
      const killed = waitFor(
        () => ack.sent.size >= enough && ack.objects.size >= 10 && ack.deletedObjects.size > 0,
        {
          timeoutMs: 60_000,
          intervalMs: 5,
          what: 'acknowledged writes',
        },
      )
        .catch(() => undefined) // killed anyway; the counts below then say what was missing
        .then(async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
          running.process.signal('SIGKILL');
        });
      await stream(running, round, ack, killed);
      acked.push(ack);
      expect((await running.process.exited).signal).toBe('SIGKILL');
      running.sqs.destroy();
      running.s3.destroy();
    }
    emulator = await startEmulator(dir);
    const { sqs, s3, queues } = emulator;

    const queued = await drain(sqs, queues.reports.url);
    const dead = await drain(sqs, queues.reportsDeadLetter.url);

    const sent = new Map(acked.flatMap((a) => [...a.sent]));
    const deleted = new Set(acked.flatMap((a) => [...a.deletedMessages]));
    const objects = new Map(acked.flatMap((a) => [...a.objects]));
    const deletedObjects = new Set(acked.flatMap((a) => [...a.deletedObjects]));
    expect(sent.size).toBeGreaterThanOrEqual(60);
    expect(dead.size + deleted.size).toBeGreaterThan(0);
    for (const [id, body] of sent) {
      if (deleted.has(id)) continue;
      expect(queued.get(id) ?? dead.get(id), `message ${body}`).toBe(body);
    }
    for (const id of deleted) {
      expect(queued.has(id) || dead.has(id), `deleted message ${id}`).toBe(false);
    }
    for (const id of queued.keys()) expect(dead.has(id), `message ${id} in two queues`).toBe(false);
    expect(objects.size).toBeGreaterThanOrEqual(10);
    for (const [key, body] of objects) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await got.Body?.transformToString(), key).toBe(body);
    }
    for (const key of deletedObjects) {
      const gone = await s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch((err: Error) => err);
      expect(gone, `deleted object ${key}`).toMatchObject({ name: 'NoSuchKey' });
    }
  });
});
