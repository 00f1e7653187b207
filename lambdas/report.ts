/**
 * Inventory reports: IoT rule → SQS `reports` → this handler, in batches with partial failures.
 * Each record is one rule event (raw frame base64-encoded). Invalid input is dead-lettered with the
 * reason and acknowledged; transient errors fail only their record, which SQS redelivers.
 * Idempotent by construction: deterministic S3 and DynamoDB keys, conditional meta flip (see
 * inventory/apply.ts), so redelivery and duplicates are harmless.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { Semaphore } from '#agent/semaphore.ts';
import { ReportSchema } from '#protocol/inventory.ts';
import { decodeTopicPayload, parseDeviceTopic } from '#protocol/topics.ts';
import type { RuleEvent } from '#wiring/rule-event.ts';
import { publishToDevice } from './commons/aws/iot-data.ts';
import { s3 } from './commons/aws/s3.ts';
import { ProtocolError } from './commons/errors.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, recordBody, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { type InOrderPerKey, inOrderPerKey, processSqsBatch } from './commons/sqs-batch.ts';
import { ingestReport } from './inventory/apply.ts';
import { inventoryDeps } from './inventory/handler-deps.ts';
import { runReportReactions } from './inventory/report-reaction.ts';
import { reportReactions } from './inventory/report-reactions.ts';

const SOURCE = 'reports';

/** The device a record is from, read off its topic; invalid records (no topic) are each their own key. */
function deviceKeyOf(body: unknown, record: SQSRecord): string {
  const topic = typeof body === 'object' && body !== null ? (body as { topic?: unknown }).topic : undefined;
  const deviceId = typeof topic === 'string' ? parseDeviceTopic(topic)?.deviceId : undefined;
  return deviceId === undefined ? `record:${record.messageId}` : `device:${deviceId}`;
}

async function handleRecord(record: SQSRecord, inOrder: InOrderPerKey): Promise<void> {
  const body = recordBody(record);
  // The slot is taken once the device's previous record is done, so no record holds one while it waits.
  await inOrder(deviceKeyOf(body, record), () =>
    applying.run(() => handleDeviceInput(SOURCE, body, applyReport)),
  );
}

async function applyReport(event: RuleEvent): Promise<void> {
  const deviceId = deviceIdOf(event);
  if (parseDeviceTopic(event.topic)?.kind !== 'report') {
    throw new ProtocolError(`topic ${event.topic} is not a report topic`);
  }
  const raw = payloadBytes(event);
  const report = validate(ReportSchema, decodeTopicPayload('report', raw), 'inventory report');
  const result = await ingestReport(inventoryDeps({ archive: s3, publish: publishToDevice }), {
    deviceId,
    report,
    raw,
    receivedAt: event.receivedAt,
  });
  metrics.addMetric('InventoryWriteUnits', 'Count', result.writeUnits);
  metrics.addMetric(`InventoryReport_${result.outcome}`, 'Count', 1);
  logger.info('inventory report', {
    deviceId,
    kind: report.kind,
    epoch: report.epoch,
    seq: report.seq,
    outcome: result.outcome,
    appliedSeqs: result.appliedSeqs,
    writeUnits: result.writeUnits,
    readUnits: result.readUnits,
  });
  await runReportReactions(
    reportReactions,
    {
      deviceId,
      outcome: result.outcome,
      changedSections: result.changedSections,
      receivedAt: event.receivedAt,
    },
    { logger, metrics },
  );
}

/**
 * One device's records apply one after the other, in the order they came, instead of racing for its
 * state: within a batch, and across the batches an execution environment runs at once (the local
 * cloud's workers, Lambda Managed Instances). Records of different devices run in parallel: a
 * batch of ten reports from ten devices costs one report's round trips, not ten.
 */
const inOrder = inOrderPerKey();

/**
 * Reports applied at once in one execution environment. A device's first full report writes ~150
 * shards; a fleet starting at once must not queue thousands of requests on the environment's SDK
 * sockets, where the other functions sharing a local worker (heartbeats, presence) would wait
 * behind them.
 */
const REPORTS_AT_ONCE = 10;
const applying = new Semaphore(REPORTS_AT_ONCE);

export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  processSqsBatch(event, context, (record) => handleRecord(record, inOrder)),
);
