/**
 * SQS and S3: fauxqs, one endpoint for both, bound to 127.0.0.1 (its `startFauxqs` helper binds
 * 0.0.0.0, so we build its app and listen ourselves).
 *
 * fauxqs keeps everything in memory ("No persistence" — its README): queued messages and archived
 * objects do not survive a restart by themselves. snapshot.ts saves them on a clean stop and restores
 * them on start; a crash loses what was in flight there (DynamoDB, the system of record, is on disk).
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { type BucketSpec, buckets, type QueueName, type QueueSpec, queues } from '#wiring/resources.ts';

export interface LocalSqsS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startSqsS3(options: { port: number; region: string }): Promise<LocalSqsS3> {
  const app = buildApp({ logger: false, defaultRegion: options.region });
  await app.listen({ port: options.port, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.close();
    },
  };
}

export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

/** Creates every queue of the wiring (dead-letter queues first, for the redrive policies) and returns them by name. */
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
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: spec.localName, Attributes: attributes }),
    );
    const url = created.QueueUrl;
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
