/**
 * Persistence for fauxqs, which keeps SQS and S3 in memory only. On a clean stop the queued messages
 * and the archived objects are written under `<dataDir>/fauxqs/`; on start they are put back.
 * Limits: a crash loses what changed since the last clean start; restored messages start again
 * with a receive count of 0 and are visible at once.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type BucketSpec, buckets, type QueueName } from '#wiring/resources.ts';
import type { Log } from './log.ts';
import type { QueueRef } from './sqs-s3.ts';

export interface SnapshotOptions {
  readonly dir: string;
  /** fauxqs endpoint, for its non-destructive queue inspection API. */
  readonly endpoint: string;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly queues: Record<QueueName, QueueRef>;
  readonly log: Log;
}

interface SavedMessage {
  body: string;
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}

interface SavedObject {
  bucket: string;
  key: string;
  file: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

interface Manifest {
  version: 1;
  queues: Partial<Record<QueueName, SavedMessage[]>>;
  objects: SavedObject[];
}

interface InspectedMessage {
  body: string;
  messageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: unknown }>;
}

interface Inspection {
  messages: {
    ready: InspectedMessage[];
    delayed: InspectedMessage[];
    inflight: Array<{ message: InspectedMessage }>;
  };
}

function queueName(ref: QueueRef): string {
  return ref.url.slice(ref.url.lastIndexOf('/') + 1);
}

function binaryToBase64(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && 'data' in value)
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  return undefined;
}

async function saveQueue(options: SnapshotOptions, ref: QueueRef): Promise<SavedMessage[]> {
  const res = await fetch(`${options.endpoint}/_fauxqs/queues/${encodeURIComponent(queueName(ref))}`);
  if (!res.ok) throw new Error(`inspecting ${queueName(ref)}: HTTP ${res.status}`);
  const inspection = (await res.json()) as Inspection;
  const { ready, delayed, inflight } = inspection.messages;
  return [...inflight.map((e) => e.message), ...ready, ...delayed].map((m) => {
    const attributes: SavedMessage['attributes'] = {};
    for (const [name, value] of Object.entries(m.messageAttributes ?? {})) {
      const binary = binaryToBase64(value.BinaryValue);
      attributes[name] = {
        DataType: value.DataType ?? 'String',
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(binary === undefined ? {} : { BinaryValue: binary }),
      };
    }
    return { body: m.body, attributes };
  });
}

async function saveObjects(options: SnapshotOptions, objectsDir: string): Promise<SavedObject[]> {
  const saved: SavedObject[] = [];
  for (const spec of Object.values(buckets) as BucketSpec[]) {
    let token: string | undefined;
    do {
      const page = await options.s3.send(
        new ListObjectsV2Command({ Bucket: spec.localName, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        const object = await options.s3.send(new GetObjectCommand({ Bucket: spec.localName, Key: item.Key }));
        const bytes = await object.Body?.transformToByteArray();
        const file = createHash('sha256').update(`${spec.localName}/${item.Key}`).digest('hex');
        await writeFile(join(objectsDir, file), bytes ?? new Uint8Array());
        saved.push({
          bucket: spec.localName,
          key: item.Key,
          file,
          ...(object.ContentType ? { contentType: object.ContentType } : {}),
          ...(object.Metadata && Object.keys(object.Metadata).length ? { metadata: object.Metadata } : {}),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return saved;
}

export async function saveSnapshot(options: SnapshotOptions): Promise<void> {
  const staging = `${options.dir}.saving`;
  try {
    await rm(staging, { recursive: true, force: true });
    await mkdir(join(staging, 'objects'), { recursive: true });
    const manifest: Manifest = { version: 1, queues: {}, objects: [] };
    for (const [name, ref] of Object.entries(options.queues) as Array<[QueueName, QueueRef]>) {
      const messages = await saveQueue(options, ref);
      if (messages.length > 0) manifest.queues[name] = messages;
    }
    manifest.objects = await saveObjects(options, join(staging, 'objects'));
    await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest));
    await rm(options.dir, { recursive: true, force: true });
    await rename(staging, options.dir);
    options.log.debug(`saved ${manifest.objects.length} object(s) and queued messages to ${options.dir}`);
  } catch (err) {
    options.log.error('could not save the SQS/S3 snapshot; queued messages and objects are lost', err);
  }
}

export async function restoreSnapshot(options: SnapshotOptions): Promise<void> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(options.dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const [name, messages] of Object.entries(manifest.queues) as Array<[QueueName, SavedMessage[]]>) {
    const ref = options.queues[name];
    if (!ref) continue;
    for (const message of messages) {
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [attr, value] of Object.entries(message.attributes)) {
        attributes[attr] = {
          DataType: value.DataType,
          ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
          ...(value.BinaryValue === undefined
            ? {}
            : { BinaryValue: Buffer.from(value.BinaryValue, 'base64') }),
        };
      }
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: ref.url,
          MessageBody: message.body,
          ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
        }),
      );
    }
  }
  for (const object of manifest.objects) {
    await options.s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: await readFile(join(options.dir, 'objects', object.file)),
        ...(object.contentType ? { ContentType: object.contentType } : {}),
        ...(object.metadata ? { Metadata: object.metadata } : {}),
      }),
    );
  }
  options.log.info(
    `restored ${manifest.objects.length} archived object(s) and queued messages from ${options.dir}`,
  );
}
