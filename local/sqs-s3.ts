/**
 * SQS and S3 on one port, bound to 127.0.0.1, persisted in one LevelDB under `dir`: a request that
 * carries `X-Amz-Target: AmazonSQS.*` is SQS (AWS JSON 1.0), anything else is S3 (REST, path-style).
 * Every answered change is on disk first (level-store.ts), so queued messages, dead letters and
 * archived objects survive a crash or kill -9, and what was deleted stays deleted.
 */
import { createServer } from 'node:http';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { buckets, type QueueName, queues } from '#wiring/fleet.ts';
import type { BucketSpec, QueueSpec } from '#wiring/resources.ts';
import { closeServer, listenLocal } from './http.ts';
import { LevelStore } from './level-store.ts';
import type { Log } from './log.ts';
import { ObjectStore } from './s3/objects.ts';
import { handleS3 } from './s3/rest.ts';
import { inProcessQueueClient, type QueueClient } from './sqs/in-process-client.ts';
import { handleSqs } from './sqs/protocol.ts';
import { QueueService } from './sqs/queue-service.ts';

export interface LocalSqsS3 {
  readonly endpoint: string;
  /** The queues for the platform's own callers in this process (rule actions, event sources). */
  readonly queueClient: QueueClient;
  stop(): Promise<void>;
}

export interface SqsS3Options {
  readonly port: number;
  readonly region: string;
  /** Where the queues and objects are kept. */
  readonly dir: string;
  readonly log?: Log;
}

export async function startSqsS3(options: SqsS3Options): Promise<LocalSqsS3> {
  const store = await LevelStore.open(options.dir);
  let endpoint = '';
  let service: QueueService;
  let objects: ObjectStore;
  try {
    service = await QueueService.open(store, options.region, () => endpoint);
    objects = await ObjectStore.open(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  const onInternalError = (err: unknown): void => options.log?.error('SQS/S3 request failed', err);
  const server = createServer((req, res) => {
    if (req.headers['x-amz-target'] !== undefined) void handleSqs(service, req, res, onInternalError);
    else void handleS3(objects, req, res, options.region, onInternalError);
  });
  let port: number;
  try {
    port = await listenLocal(server, options.port);
  } catch (err) {
    await store.close();
    throw err;
  }
  endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    queueClient: inProcessQueueClient(service),
    stop: async () => {
      service.stop();
      await closeServer(server);
      await store.close();
    },
  };
}

export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

/**
 * Creates every queue of the wiring (dead-letter queues first, for the redrive policies) and returns
 * them by name. A queue kept from an earlier run whose wiring attributes changed is updated.
 */
export async function createQueues(sqs: SQSClient): Promise<Record<QueueName, QueueRef>> {
  const specs = Object.entries(queues) as Array<[QueueName, QueueSpec]>;
  const ordered = [...specs.filter(([, s]) => !s.deadLetter), ...specs.filter(([, s]) => s.deadLetter)];
  const refs: Partial<Record<QueueName, QueueRef>> = {};
  for (const [name, spec] of ordered) {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(spec.visibilityTimeoutSec),
      MessageRetentionPeriod: String(spec.retentionDays * 24 * 3600),
    };
    if (spec.deadLetter) {
      const target = refs[spec.deadLetter.queue as QueueName];
      if (!target) throw new Error(`queue ${name}: dead-letter queue ${spec.deadLetter.queue} not created`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target.arn,
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    }
    let url: string | undefined;
    try {
      url = (await sqs.send(new CreateQueueCommand({ QueueName: spec.localName, Attributes: attributes })))
        .QueueUrl;
    } catch (err) {
      if ((err as Error).name !== 'QueueNameExists') throw err;
      url = (await sqs.send(new GetQueueUrlCommand({ QueueName: spec.localName }))).QueueUrl;
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    }
    if (!url) throw new Error(`queue ${name}: CreateQueue returned no URL`);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = attrs.Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${name}: no QueueArn`);
    refs[name] = { url, arn };
  }
  return refs as Record<QueueName, QueueRef>;
}

export async function createBuckets(s3: S3Client): Promise<void> {
  for (const spec of Object.values(buckets) as BucketSpec[]) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: spec.localName }));
    } catch (err) {
      const name = (err as Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
    }
  }
}
