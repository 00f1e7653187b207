/**
 * In-test cloud for the inventory tests: a real DynamoDB implementation (dynalite), S3 + SQS
 * (fauxqs) and a tiny IoT data-plane endpoint that records publishes. Env vars are set here, so
 * import handler modules dynamically after `startHarness()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import type { InventoryDeps, InventorySettings } from '#lambdas/inventory/deps.ts';
import { buckets, queues, tables } from '#wiring/resources.ts';
import { type DeadLetter, DeadLetterSchema } from '#wiring/rule-event.ts';

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
  deadLetters(): DeadLetter[];
  stop(): Promise<void>;
}

type DynaliteFactory = (options: Record<string, number>) => Server;

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

export async function startHarness(): Promise<Harness> {
  // dynalite ships no type declarations.
  const { default: dynalite } = (await import('dynalite' as string)) as { default: DynaliteFactory };
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamo);
  const fauxqs = await startFauxqs({ port: 0, logger: false });

  const published: Published[] = [];
  const iot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname.startsWith('/topics/')) {
        published.push({
          topic: decodeURIComponent(url.pathname.slice('/topics/'.length)),
          payload: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  const iotPort = await listen(iot);

  const table = tables.inventory.localName;
  const bucket = buckets.archive.localName;
  fauxqs.createBucket(bucket);
  const dlq = fauxqs.createQueue(queues.ingestDeadLetter.localName);

  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoPort}`,
    AWS_ENDPOINT_URL_S3: fauxqs.address,
    AWS_ENDPOINT_URL_SQS: fauxqs.address,
    FLEETPULSE_S3_PATH_STYLE: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    IOT_DATA_ENDPOINT: `http://127.0.0.1:${iotPort}`,
    [tables.inventory.envVar]: table,
    [buckets.archive.envVar]: bucket,
    [queues.ingestDeadLetter.envVar]: dlq.queueUrl,
  });

  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const dynamoClient = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    credentials,
  });
  await dynamoClient.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: tables.inventory.partitionKey, AttributeType: 'S' },
        { AttributeName: tables.inventory.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: tables.inventory.partitionKey, KeyType: 'HASH' },
        { AttributeName: tables.inventory.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  const ddb = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: fauxqs.address,
    forcePathStyle: true,
    credentials,
  });
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
    deadLetters: () =>
      (fauxqs.inspectQueue(queues.ingestDeadLetter.localName)?.messages.ready ?? []).map((m) =>
        DeadLetterSchema.parse(JSON.parse(m.body)),
      ),
    stop: async () => {
      dynamoClient.destroy();
      s3.destroy();
      await fauxqs.stop();
      await new Promise((resolve) => dynamo.close(resolve));
      await new Promise((resolve) => iot.close(resolve));
    },
  };
}
