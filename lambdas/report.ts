/**
 * Inventory reports: IoT rule → SQS `reports` → this handler, in batches with partial failures.
 * Each record is one rule event (raw frame base64-encoded). Invalid input is dead-lettered with the
 * reason and acknowledged; transient errors fail only their record, which SQS redelivers.
 * Idempotent by construction: deterministic S3 and DynamoDB keys, conditional meta flip (see
 * inventory/apply.ts), so redelivery and duplicates are harmless.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ReportSchema } from '#protocol/inventory.ts';
import { decodeTopicPayload, parseDeviceTopic } from '#protocol/topics.ts';
import { publishToDevice } from './commons/aws/iot-data.ts';
import { s3 } from './commons/aws/s3.ts';
import { ProtocolError } from './commons/errors.ts';
import { deviceIdOf, handleDeviceInput, payloadBytes, recordBody, validate } from './commons/ingest.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { ingestReport } from './inventory/apply.ts';
import { inventoryDeps } from './inventory/handler-deps.ts';
import { runReportReactions } from './inventory/report-reaction.ts';
import { reportReactions } from './inventory/report-reactions.ts';

const SOURCE = 'reports';
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  await handleDeviceInput(SOURCE, recordBody(record), async (event) => {
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
  });
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  // Sequential: records of one device in one batch then apply in order instead of racing.
  processPartialResponse(event, handleRecord, processor, { context, processInParallel: false }),
);
