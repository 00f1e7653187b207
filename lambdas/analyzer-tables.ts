/**
 * The query tables of one raw analyzer bundle: SQS `analyzerTables` (one message per bundle the
 * analyzer handler wrote) → read the bundle, decode its batches, write one Parquet file per table
 * and day. The files are named after the bundle, so a redelivered message rewrites the same files
 * instead of adding copies. A message that keeps failing goes to the queue's dead-letter queue.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { decodeFramed } from '#protocol/encoding.ts';
import { type DeviceBatch, QUERY_TABLES, queryObjectKey, toQueryFiles } from './analyzer/query-tables.ts';
import { frameOf, readBundleIndex } from './analyzer/raw-bundle.ts';
import { s3 } from './commons/aws/s3.ts';
import { resourceNames } from './commons/env.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger } from './commons/powertools.ts';
import { processSqsBatch } from './commons/sqs-batch.ts';

const MessageSchema = z.object({
  bundleKey: z.string().regex(/^analyzer\/raw\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.fpb$/),
});

async function writeTables(record: SQSRecord): Promise<void> {
  const { bundleKey } = MessageSchema.parse(JSON.parse(record.body));
  const bucket = resourceNames.bucket('archive');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: bundleKey }));
  const body = await object.Body?.transformToByteArray();
  if (body === undefined) throw new Error(`bundle ${bundleKey} has no body`);
  const batches: DeviceBatch[] = readBundleIndex(body).map((entry) => ({
    deviceId: entry.deviceId,
    batch: decodeAnalyzerBatch(AnalyzerWireBatchSchema.parse(decodeFramed(frameOf(body, entry)))),
  }));
  const file = bundleKey.slice(bundleKey.lastIndexOf('/') + 1, -'.fpb'.length);
  const puts: Promise<unknown>[] = [];
  for (const [day, files] of toQueryFiles(batches)) {
    for (const table of QUERY_TABLES) {
      puts.push(
        s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: queryObjectKey(table, day, file), Body: files[table] }),
        ),
      );
    }
  }
  await Promise.all(puts);
  logger.info('analyzer query tables', { bundleKey, batches: batches.length, files: puts.length });
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  processSqsBatch(event, context, writeTables),
);
