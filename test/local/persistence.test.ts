import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, tables } from '#wiring/fleet.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';

describe('local cloud storage', () => {
  let t: TestCloud;
  const bucket = buckets.archive.localName;
  const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));

  beforeAll(async () => {
    t = await startTestCloud({ handlersOverride: stubHandlers() });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('round-trips binary S3 objects byte for byte and lists them', async () => {
    await t.aws.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'reports/dev-p1/seq=1.bin',
        Body: binary,
        ContentType: 'application/octet-stream',
      }),
    );

    const object = await t.aws.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'reports/dev-p1/seq=1.bin' }),
    );
    const listed = await t.aws.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reports/dev-p1/' }),
    );

    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? []).equals(binary)).toBe(true);
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([
      ['reports/dev-p1/seq=1.bin', binary.length],
    ]);
  });

  it('keeps DynamoDB items, S3 objects and queued messages across a restart', async () => {
    await t.aws.ddb.send(
      new PutCommand({ TableName: tables.devices.localName, Item: { deviceId: 'dev-p1', status: 'online' } }),
    );
    await t.aws.sqs.send(
      new SendMessageCommand({ QueueUrl: t.cloud.queues.reportsDeadLetter.url, MessageBody: 'kept' }),
    );

    await t.restart();

    const item = await t.aws.ddb.send(
      new GetCommand({ TableName: tables.devices.localName, Key: { deviceId: 'dev-p1' } }),
    );
    const object = await t.aws.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'reports/dev-p1/seq=1.bin' }),
    );
    const queued = await t.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: t.cloud.queues.reportsDeadLetter.url, WaitTimeSeconds: 1 }),
    );
    expect(item.Item).toEqual({ deviceId: 'dev-p1', status: 'online' });
    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? []).equals(binary)).toBe(true);
    expect(queued.Messages?.map((m) => m.Body)).toEqual(['kept']);
  });
});
