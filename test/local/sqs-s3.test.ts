/**
 * The SQS/S3 emulator through the real SDK clients: the wire protocols, the MD5s and errors the SDK
 * and callers compare against, SQS's visibility and redrive rules, S3's listing and conditions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuckets, createQueues, type LocalSqsS3, startSqsS3 } from '#local/sqs-s3.ts';
import { buckets, queues } from '#wiring/fleet.ts';

let dir: string;
let emulator: LocalSqsS3;
let sqs: SQSClient;
let s3: S3Client;
const bucket = buckets.archive.localName;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetpulse-sqs-s3-'));
  emulator = await startSqsS3({ port: 0, region: 'eu-west-1', dir });
  const config = {
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  s3 = new S3Client({ ...config, forcePathStyle: true });
  await createBuckets(s3);
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let queueCount = 0;
async function newQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `test-${++queueCount}`, Attributes: attributes }),
  );
  const url = created.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: attrs.Attributes?.QueueArn ?? '' };
}

const failure = async (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: err.name,
      code: err.Code,
      message: err.message,
      status: err.$metadata?.httpStatusCode,
    }),
  );

describe('SQS', () => {
  it('answers with the MD5s of body and attributes that AWS computes', async () => {
    const { url } = await newQueue();

    // Digests pinned against AWS by moto's SQS test suite.
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'derp',
        MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } },
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }),
    );

    expect(sent).toMatchObject({
      MD5OfMessageBody: '58fd9edd83341c29f1aebba81c31e257',
      MD5OfMessageAttributes: '235c5c510d26fb653d073faed50ae77c',
    });
    expect(received.Messages?.[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'derp',
      MD5OfMessageAttributes: '235c5c510d26fb653d073faed50ae77c',
      MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } },
    });
  });

  it("refuses a message over the queue's size limit with SQS's error", async () => {
    const { url: small } = await newQueue({ MaximumMessageSize: '1024' });
    const { url: standard } = await newQueue();

    const tooBig = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'x'.repeat(1025) })),
    );
    const overMiB = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x'.repeat(1024 * 1024 + 1) })),
    );
    const atMiB = await sqs.send(
      new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x'.repeat(1024 * 1024) }),
    );

    expect(tooBig).toEqual({
      name: 'InvalidParameterValue',
      code: 'InvalidParameterValue',
      message: 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
      status: 400,
    });
    expect(overMiB?.message).toBe(
      'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
    );
    expect(atMiB.MessageId).toBeDefined();
  });

  it('names an unknown queue QueueDoesNotExist', async () => {
    const err = await failure(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));

    expect(err).toMatchObject({ name: 'QueueDoesNotExist', code: 'AWS.SimpleQueueService.NonExistentQueue' });
  });

  it('answers a long poll with a message sent while it waits', async () => {
    const { url } = await newQueue();

    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setImmediate(resolve));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));

    expect((await polling).Messages?.map((m) => m.Body)).toEqual(['late']);
  });

  it('deletes only with the latest receipt handle, and peeks through a whole queue with VisibilityTimeout 0', async () => {
    const { url } = await newQueue();
    for (let i = 0; i < 15; i++)
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));

    const seen = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      for (const m of res.Messages ?? []) seen.set(m.Body ?? '', m.ReceiptHandle ?? '');
    }
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    const [message] = first.Messages ?? [];
    const oldHandle = seen.get(message?.Body ?? '') ?? '';
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: oldHandle }));
    const afterStale = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    const afterLatest = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );

    expect(seen.size).toBe(15);
    expect(oldHandle).not.toBe(message?.ReceiptHandle);
    expect(afterStale.Attributes?.ApproximateNumberOfMessages).toBe('15');
    expect(afterLatest.Attributes?.ApproximateNumberOfMessages).toBe('14');
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue, keeping its id', async () => {
    const dlq = await newQueue();
    const { url, arn } = await newQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));

    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      for (const m of res.Messages ?? []) counts.push(m.Attributes?.ApproximateReceiveCount ?? '');
    }
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageSystemAttributeNames: ['All'] }),
    );

    expect(counts).toEqual(['1', '2']);
    expect(dead.Messages?.[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'poison',
      Attributes: { DeadLetterQueueSourceArn: arn, ApproximateReceiveCount: '1' },
    });
  });

  it('refuses to change the visibility of a message that is not in flight', async () => {
    const { url } = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 5));

    const err = await failure(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: res.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 30,
        }),
      ),
    );

    expect(err?.name).toBe('MessageNotInflight');
  });

  it('updates a wiring queue kept from an earlier run whose attributes changed', async () => {
    await sqs.send(
      new CreateQueueCommand({ QueueName: queues.reports.localName, Attributes: { VisibilityTimeout: '7' } }),
    );

    const refs = await createQueues(sqs);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: refs.reports.url,
        AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
      }),
    );

    expect(attrs.Attributes?.VisibilityTimeout).toBe(String(queues.reports.visibilityTimeoutSec));
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: refs.reportsDeadLetter.arn,
      maxReceiveCount: queues.reports.deadLetter.maxReceiveCount,
    });
  });

  it('sends the valid entries of a batch and reports the invalid ones', async () => {
    const { url } = await newQueue();

    const res = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine' },
          { Id: 'bad', MessageBody: 'nul \u0000 inside' },
        ],
      }),
    );
    const duplicate = await failure(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: '1' },
            { Id: 'a', MessageBody: '2' },
          ],
        }),
      ),
    );

    expect(res.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(res.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);
    expect(duplicate?.name).toBe('BatchEntryIdsNotDistinct');
  });
});

describe('S3', () => {
  it('keeps content type and metadata, and answers a missing key with NoSuchKey (404 NotFound on HEAD)', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'meta/one.json',
        Body: '{"a":1}',
        ContentType: 'application/json',
        Metadata: { device: 'dev-1' },
      }),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'meta/one.json' }));
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'meta/none' })));
    const missingHead = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta/none' })));

    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got).toMatchObject({
      ContentType: 'application/json',
      Metadata: { device: 'dev-1' },
      ContentLength: 7,
    });
    expect(missing).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(missingHead).toMatchObject({ name: 'NotFound', status: 404 });
  });

  it('lists with prefix, delimiter and continuation tokens, every key once', async () => {
    const keys = ['l/a/1', 'l/a/2', 'l/b', 'l/c/1', 'l/d', 'l/e', 'other'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const contents: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: 'l/',
          Delimiter: '/',
          MaxKeys: 2,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      contents.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (token);

    expect(contents).toEqual(['l/b', 'l/d', 'l/e']);
    expect(prefixes).toEqual(['l/a/', 'l/c/']);
    expect(pages).toBe(3);
  });

  it('refuses a put with If-None-Match * when the key exists', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/x', Body: 'first', IfNoneMatch: '*' }));

    const second = await failure(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/x', Body: 'second', IfNoneMatch: '*' })),
    );
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond/x' }));

    expect(second).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await kept.Body?.transformToString()).toBe('first');
  });

  it('stores a streamed body (aws-chunked, with a trailing checksum) byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 256));

    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'stream/bin',
        Body: Readable.from([bytes.subarray(0, 70_000), bytes.subarray(70_000)]),
        ContentLength: bytes.length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/bin' }));

    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(bytes)).toBe(true);
  });

  it('deletes several objects at once', async () => {
    for (const key of ['del/1', 'del/2', 'del/3'])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'del/1' }, { Key: 'del/3' }] } }),
    );
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'del/' }));

    expect(left.Contents?.map((c) => c.Key)).toEqual(['del/2']);
  });
});
