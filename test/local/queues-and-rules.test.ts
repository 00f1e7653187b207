import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queues } from '#wiring/fleet.ts';
import { DeadLetterSchema, type RuleEvent, RuleEventSchema } from '#wiring/rule-event.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

describe('local event sources: SQS pollers and topic rules', () => {
  let t: TestCloud;
  const reportRecords: SQSRecord[] = [];
  const heartbeatAttempts: RuleEvent[] = [];

  beforeAll(async () => {
    t = await startTestCloud({
      // Failed messages reappear after a second, so maxReceiveCount is reached in seconds.
      // Short, but not 0: with concurrent pollers a 0 s timeout hands an in-flight message to another one.
      queueVisibilityTimeoutSec: 1,
      ruleRetryDelaysMs: [10, 10],
      handlersOverride: stubHandlers({
        reports: async (event: SQSEvent) => {
          reportRecords.push(...event.Records);
          return {
            batchItemFailures: event.Records.filter((r) => r.body.includes('poison')).map((r) => ({
              itemIdentifier: r.messageId,
            })),
          };
        },
        heartbeat: async (event: RuleEvent) => {
          heartbeatAttempts.push(event);
          if (Buffer.from(event.payload, 'base64').toString() === 'fail')
            throw new TypeError('heartbeat store down');
        },
      }),
    });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const receiveAll = async (queueUrl: string) => {
    const res = await t.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return res.Messages ?? [];
  };

  it('sends a topic-rule-queue publish to the queue and hands it to the function as an SQS event', async () => {
    const device = await t.deviceClient('dev-q1');

    await device.publishAsync('dt/fleet/dev-q1/report', Buffer.from([1, 2, 3]), { qos: 1 });

    const record = await waitFor(() => reportRecords.find((r) => r.body.includes('dt/fleet/dev-q1/report')));
    const event = RuleEventSchema.parse(JSON.parse(record.body));
    expect(event).toMatchObject({ topic: 'dt/fleet/dev-q1/report', clientId: 'dev-q1', payload: 'AQID' });
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: t.cloud.queues.reports.arn,
      awsRegion: t.cloud.region,
      attributes: { ApproximateReceiveCount: '1' },
    });
  });

  it('deletes the successes of a batch, retries the reported failures and redrives them to the DLQ', async () => {
    const { reports, reportsDeadLetter } = t.cloud.queues;
    for (const body of ['ok-1', 'poison-1', 'ok-2']) {
      await t.aws.sqs.send(new SendMessageCommand({ QueueUrl: reports.url, MessageBody: body }));
    }

    const dead = await waitFor(async () => {
      const messages = await receiveAll(reportsDeadLetter.url);
      return messages.length > 0 ? messages : undefined;
    });

    const maxReceiveCount = queues.reports.deadLetter.maxReceiveCount;
    expect(dead.map((m) => m.Body)).toEqual(['poison-1']);
    expect(reportRecords.filter((r) => r.body === 'ok-1')).toHaveLength(1);
    expect(reportRecords.filter((r) => r.body === 'ok-2')).toHaveLength(1);
    const poison = reportRecords.filter((r) => r.body === 'poison-1');
    expect(poison.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(
      Array.from({ length: maxReceiveCount }, (_, i) => String(i + 1)),
    );
  });

  it('retries a failing topic-rule function twice, then dead-letters the event with its reason', async () => {
    const device = await t.deviceClient('dev-r1');

    await device.publishAsync('dt/fleet/dev-r1/heartbeat', 'fail', { qos: 1 });

    const [message] = await waitFor(async () => {
      const messages = await receiveAll(t.cloud.queues.ingestDeadLetter.url);
      return messages.length > 0 ? messages : undefined;
    });
    const entry = DeadLetterSchema.parse(JSON.parse(message?.Body ?? ''));
    expect(entry).toMatchObject({
      source: 'heartbeat',
      reason: 'heartbeat store down',
      errorType: 'TypeError',
      topic: 'dt/fleet/dev-r1/heartbeat',
      deviceId: 'dev-r1',
    });
    expect(RuleEventSchema.parse(entry.event).clientId).toBe('dev-r1');
    expect(heartbeatAttempts.filter((e) => e.clientId === 'dev-r1')).toHaveLength(3);
  });

  it('keeps running after a function failure', async () => {
    const device = await t.deviceClient('dev-r2');

    await device.publishAsync('dt/fleet/dev-r2/heartbeat', 'fine', { qos: 1 });

    await waitFor(() => heartbeatAttempts.find((e) => e.clientId === 'dev-r2'));
    expect(device.connected).toBe(true);
  });
});
