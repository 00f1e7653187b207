/**
 * Analyzer batches: IoT rule (Basic Ingest) → SQS `analyzer` → this handler, hundreds per
 * invocation. Each valid batch is archived unchanged in one raw bundle per invocation (whose query
 * tables analyzer-tables.ts then writes), indexed, and counted in its session's summary. Invalid
 * batches are dead-lettered with the reason and acknowledged.
 *
 * Redelivery-safe: the index keeps a batch's first location, the summary counts each sequence once,
 * and the queries keep one copy of each row; a copy stored again in a later bundle is harmless.
 * A transient failure fails the whole invocation and SQS delivers the records again.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AnalyzerBatch, AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { AnalyzerDecodeError, decodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { decodeTopicPayload, parseDeviceTopic } from '#protocol/topics.ts';
import { dayOf } from './analyzer/query-tables.ts';
import { type BundleEntry, packBundle, rawBundleKey } from './analyzer/raw-bundle.ts';
import { foldSessionBatches, indexBatch } from './analyzer/session-store.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { s3 } from './commons/aws/s3.ts';
import { sqs } from './commons/aws/sqs.ts';
import { resourceNames } from './commons/env.ts';
import { ProtocolError, SchemaError } from './commons/errors.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, recordBody, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';

const SOURCE = 'analyzer';
/** Sessions settled at once: keeps a batch of hundreds from making thousands of requests in a row. */
const SESSIONS_AT_ONCE = 16;

interface Accepted {
  readonly deviceId: string;
  readonly batch: AnalyzerBatch;
  readonly frame: Uint8Array;
}

/** The record's batch when it is a valid one; an invalid one is dead-lettered with its reason. */
async function accept(record: SQSRecord): Promise<Accepted | undefined> {
  let accepted: Accepted | undefined;
  await handleDeviceInput(SOURCE, recordBody(record), async (event) => {
    const deviceId = deviceIdOf(event);
    const topic = parseDeviceTopic(event.topic);
    if (topic?.kind !== 'analyzer') throw new ProtocolError(`topic ${event.topic} is not an analyzer topic`);
    const frame = payloadBytes(event);
    const wire = validate(AnalyzerWireBatchSchema, decodeTopicPayload('analyzer', frame), 'analyzer batch');
    if (wire.sessionId !== topic.sessionId) {
      throw new ProtocolError(
        `batch of session ${wire.sessionId} published on the topic of session ${topic.sessionId}`,
      );
    }
    let batch: AnalyzerBatch;
    try {
      batch = decodeAnalyzerBatch(wire);
    } catch (err) {
      if (err instanceof AnalyzerDecodeError)
        throw new SchemaError(`analyzer batch is invalid: ${err.message}`);
      throw err;
    }
    accepted = { deviceId, batch, frame: new Uint8Array(frame) };
  });
  return accepted;
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) => {
  const accepted: Accepted[] = [];
  for (const record of event.Records) {
    const batch = await accept(record);
    if (batch !== undefined) accepted.push(batch);
  }
  if (accepted.length === 0) return;

  const bucket = resourceNames.bucket('archive');
  const deps = { ddb, table: resourceNames.table('analyzer') };
  const id = context.awsRequestId;
  const day = dayOf(accepted[0]?.batch.samples[0]?.t ?? Date.now());
  const { body, index } = packBundle(
    accepted.map(({ deviceId, batch, frame }) => ({
      deviceId,
      sessionId: batch.sessionId,
      seq: batch.seq,
      frame,
    })),
  );
  const rawKey = rawBundleKey(day, id);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: rawKey, Body: body }));
  // The query tables are written from the bundle by analyzer-tables.ts.
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: resourceNames.queueUrl('analyzerTables'),
      MessageBody: JSON.stringify({ bundleKey: rawKey }),
    }),
  );

  // Per session: its batches indexed, then folded into its summary in one read and one write.
  // Sessions are independent and go side by side, a few at a time.
  const sessions = new Map<string, { deviceId: string; batches: AnalyzerBatch[]; entries: BundleEntry[] }>();
  for (const [i, { deviceId, batch }] of accepted.entries()) {
    const entry = index[i];
    if (entry === undefined) continue;
    const key = `${deviceId}/${batch.sessionId}`;
    const session = sessions.get(key) ?? { deviceId, batches: [], entries: [] };
    session.batches.push(batch);
    session.entries.push(entry);
    sessions.set(key, session);
  }
  let duplicates = 0;
  const settle = async ({
    deviceId,
    batches,
    entries,
  }: {
    deviceId: string;
    batches: AnalyzerBatch[];
    entries: BundleEntry[];
  }) => {
    await Promise.all(
      batches.map((batch, i) => {
        const times = batch.samples.map((s) => s.t);
        const entry = entries[i] as BundleEntry;
        return indexBatch(
          deps,
          { deviceId, sessionId: batch.sessionId, seq: batch.seq },
          {
            objectKey: rawKey,
            offset: entry.offset,
            length: entry.length,
            firstT: Math.min(...times),
            lastT: Math.max(...times),
            samples: times.length,
          },
        );
      }),
    );
    const outcomes = await foldSessionBatches(deps, deviceId, batches, Date.now());
    duplicates += outcomes.filter((o) => o === 'duplicate').length;
  };
  const queue = [...sessions.values()];
  await Promise.all(
    Array.from({ length: Math.min(SESSIONS_AT_ONCE, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await settle(next);
    }),
  );
  metrics.addMetric('AnalyzerBatches', 'Count', accepted.length);
  metrics.addMetric('AnalyzerBatchesDuplicate', 'Count', duplicates);
  logger.info('analyzer batches', { batches: accepted.length, duplicates, rawKey, bytes: body.byteLength });
});
