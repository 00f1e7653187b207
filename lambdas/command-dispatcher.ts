/**
 * commandDispatch queue → one device's command delivered, held for its reconnect, expired or timed
 * out (commands/dispatch.ts). Idempotent by construction: conditional forward-only transitions and
 * command ids agents deduplicate, so redelivered messages change nothing.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { type DispatchDeps, handleDispatchMessage } from './commands/dispatch.ts';
import { commandsDeps } from './commands/handler-deps.ts';
import { DispatchMessageSchema } from './commands/messages.ts';
import { handleQueueRecord } from './commands/queue-record.ts';
import { publishToDevice } from './commons/aws/iot-data.ts';
import { offlineGraceMs } from './commons/config.ts';
import { resourceNames } from './commons/env.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { processSqsBatch } from './commons/sqs-batch.ts';

function deps(metaCache: DispatchDeps['metaCache']): DispatchDeps {
  return {
    ...commandsDeps(),
    ...(metaCache === undefined ? {} : { metaCache }),
    tables: { devices: resourceNames.table('devices'), deviceIndex: resourceNames.table('deviceIndex') },
    publish: publishToDevice,
    graceMs: offlineGraceMs(),
    now: Date.now,
  };
}

async function handleRecord(record: SQSRecord, metaCache: DispatchDeps['metaCache']): Promise<void> {
  await handleQueueRecord(
    'commandDispatcher',
    'commandDispatchDeadLetter',
    record,
    DispatchMessageSchema,
    async (message) => {
      const outcome = await handleDispatchMessage(deps(metaCache), message);
      metrics.addMetric(`CommandDispatch_${outcome}`, 'Count', 1);
      logger.debug('command dispatch', { ...message, outcome });
    },
  );
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) => {
  // One read of a command's meta per batch: a status change lands in the next batch.
  const metaCache: DispatchDeps['metaCache'] = new Map();
  // Records are independent devices; in parallel, a batch of ten costs one round trip, not ten.
  return processSqsBatch(event, context, (record: SQSRecord) => handleRecord(record, metaCache));
});
