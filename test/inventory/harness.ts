/**
 * The inventory tests' cloud: the in-process local cloud (dynalite, the SQS/S3 emulator, IoT data plane), plus
 * what these tests need on top — domain deps on a controllable clock, a record of everything sent
 * to devices, and the ingest dead letters. The cloud sets process.env, so import handler modules
 * dynamically after `startHarness()`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listDeadLetters } from '#cli/dlq.ts';
import type { InventoryDeps, InventorySettings } from '#lambdas/inventory/deps.ts';
import { buckets, tables } from '#wiring/fleet.ts';
import { type DeadLetter, DeadLetterSchema } from '#wiring/rule-event.ts';
import { startTestCloud } from '../support/local-cloud.ts';

export interface Published {
  readonly topic: string;
  readonly payload: string;
}

export interface Harness {
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;
  /** Everything published to devices, through the IoT data-plane endpoint or `deps().publish`. */
  readonly published: Published[];
  /** The clock domain functions see through `deps()`. */
  readonly clock: { now: number };
  deps(settings?: Partial<InventorySettings>): InventoryDeps;
  /** The ingest dead letters, read without consuming them. */
  deadLetters(): Promise<DeadLetter[]>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const t = await startTestCloud();
  const published: Published[] = [];
  t.cloud.onDataPlanePublish((topic, payload) =>
    published.push({ topic, payload: payload.toString('utf8') }),
  );
  // The domain writes optional attributes as undefined; the handlers' client drops them the same way.
  const ddb = DynamoDBDocumentClient.from(t.aws.dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  const { s3 } = t.aws;
  const table = tables.inventory.localName;
  const bucket = buckets.archive.localName;
  const clock = { now: Date.UTC(2025, 0, 1) };

  return {
    ddb,
    s3,
    table,
    bucket,
    published,
    clock,
    deps: (settings) => ({
      ddb,
      s3,
      table,
      bucket,
      now: () => clock.now,
      publish: async (topic, payload) => {
        published.push({ topic, payload });
      },
      ...(settings ? { settings } : {}),
    }),
    deadLetters: async () =>
      (
        await listDeadLetters(t.aws.sqs, {
          queue: 'ingest',
          queueUrl: t.cloud.queues.ingestDeadLetter.url,
          max: 100,
        })
      ).map((view) => DeadLetterSchema.parse(view.body)),
    stop: () => t.cleanup(),
  };
}
