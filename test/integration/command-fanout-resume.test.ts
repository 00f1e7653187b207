/**
 * A fan-out that dies half-way through a page resumes when SQS hands the page to it again: each of
 * 1,000 devices still gets exactly one outcome and its dispatch message, and only the page that died
 * is sent twice. The fan-out is the real handler over clients that fail once; the dispatcher is
 * replaced by a recorder, so failed fan-out messages may reappear after 8 s without the dispatcher's
 * own work being redelivered under a loaded machine.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LambdaHandler } from '#local/lambda-runtime.ts';
import { callApi, commandDetail } from '../support/commands-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const FLEET = 1000;
const deviceIds = Array.from({ length: FLEET }, (_, i) => `res-${String(i).padStart(4, '0')}`);

/** Dispatch batches the fan-out sent; when it reaches `failAtBatch` the fan-out dies once. */
const injection = { batches: 0, failAtBatch: 45, failed: 0 };

const fanoutWithInjection: LambdaHandler = async (event, context: Context) => {
  const mod = await import('#lambdas/command-fanout.ts');
  const handler = mod.fanoutHandler(() => {
    const deps = mod.fanoutDeps();
    return {
      ...deps,
      sqs: {
        send: async (command) => {
          if (command instanceof SendMessageBatchCommand && ++injection.batches === injection.failAtBatch) {
            injection.failed++;
            throw new Error('injected: the fan-out died half-way through a page');
          }
          return deps.sqs.send(command);
        },
      },
    };
  });
  return handler(event as never, context);
};

const dispatches: Array<{ commandId: string; deviceId: string }> = [];
const recordDispatches: LambdaHandler = async (event: SQSEvent) => {
  for (const record of event.Records) dispatches.push(JSON.parse(record.body));
  return { batchItemFailures: [] };
};

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({
    handlersOverride: { commandFanout: fanoutWithInjection, commandDispatcher: recordDispatches },
    // The page that failed is handed out again after 8 s, not the queue's minute: long enough that a
    // page still running on a loaded machine is not handed out a second time meanwhile (that is
    // at-least-once delivery too, but not what this test counts).
    queueVisibilityTimeoutSec: 8,
  });
  const now = Date.now();
  for (let i = 0; i < FLEET; i += 25) {
    await t.aws.ddb.send(
      new BatchWriteCommand({
        RequestItems: {
          'fleetpulse-devices': deviceIds.slice(i, i + 25).map((deviceId) => ({
            PutRequest: { Item: { deviceId, firstSeenAt: now, lastConnectedAt: now } },
          })),
        },
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

it('resumes a fan-out that died half-way through a page: every device once, only that page resent', async () => {
  const res = await callApi(t, 'POST', '/commands', { type: 'ping', target: { deviceIds } });
  expect(res.status).toBe(202);
  const commandId: string = res.body.commandId;

  await waitFor(
    async () => {
      const { Item } = await t.aws.ddb.send(
        new GetCommand({ TableName: 'fleetpulse-commands', Key: { pk: commandId, sk: 'meta' } }),
      );
      return Item?.fanoutDone === true;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: 'fan-out done' },
  );

  expect(injection.failed).toBe(1);
  const { command, devices } = await commandDetail(t, commandId, 500);
  expect(command).toMatchObject({ status: 'in-progress', targeted: FLEET, totals: { queued: FLEET } });
  expect(devices.map((d) => d.deviceId).sort()).toEqual(deviceIds);
  await waitFor(() => new Set(dispatches.map((d) => d.deviceId)).size === FLEET, {
    timeoutMs: 30_000,
    what: 'a dispatch message per device',
  });
  const resent = dispatches.length - FLEET;
  // Page 5 had sent 4 of its 10 batches when it died: those 40 devices were sent again.
  expect(resent).toBe(40);
  expect(dispatches.every((d) => d.commandId === commandId)).toBe(true);
}, 180_000);
