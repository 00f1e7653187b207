/**
 * commandFanout queue → one page of a command's selector expanded (or one page of its outcomes
 * canceled), then the next page queued. Idempotent by construction: conditional puts per device and
 * a page-numbered meta update (commands/fanout.ts), so a redelivered message redoes at most its page.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { expandNextPage, type FanoutDeps, sweepPage } from './commands/fanout.ts';
import { commandsDeps } from './commands/handler-deps.ts';
import { FanoutMessageSchema, sendOne } from './commands/messages.ts';
import { handleQueueRecord } from './commands/queue-record.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { offlineGraceMs } from './commons/config.ts';
import { resourceNames } from './commons/env.ts';
import { withPowertools } from './commons/middleware.ts';
import { logger, metrics } from './commons/powertools.ts';
import { processSqsBatch } from './commons/sqs-batch.ts';

export function fanoutDeps(): FanoutDeps {
  return {
    ...commandsDeps(),
    targets: {
      ddb,
      devicesTable: resourceNames.table('devices'),
      deviceIndexTable: resourceNames.table('deviceIndex'),
    },
    graceMs: offlineGraceMs(),
    now: Date.now,
  };
}

async function handleRecord(deps: () => FanoutDeps, record: SQSRecord): Promise<void> {
  await handleQueueRecord(
    'commandFanout',
    'commandFanoutDeadLetter',
    record,
    FanoutMessageSchema,
    async (message) => {
      const d = deps();
      if (message.kind === 'expand') {
        const result = await expandNextPage(d, message.commandId);
        logger.info('command fan-out page', { commandId: message.commandId, ...result });
        if (result.status === 'expanded') metrics.addMetric('CommandDevicesQueued', 'Count', result.queued);
        return;
      }
      const swept = await sweepPage(d, message.commandId, message.after);
      logger.info('command sweep page', { commandId: message.commandId, ...swept });
      if (swept.next !== undefined) {
        await sendOne(d, 'commandFanout', { kind: 'sweep', commandId: message.commandId, after: swept.next });
      }
    },
  );
}

/** The handler over `deps` (tests inject failures into the clients it gets). */
export const fanoutHandler = (deps: () => FanoutDeps) =>
  withPowertools(async (event: SQSEvent, context: Context) =>
    processSqsBatch(event, context, (record: SQSRecord) => handleRecord(deps, record)),
  );

export const handler = fanoutHandler(fanoutDeps);
