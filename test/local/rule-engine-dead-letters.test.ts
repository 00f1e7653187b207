import { PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '#local/lambda-runtime.ts';
import { createLog } from '#local/log.ts';
import { createRuleEngine } from '#local/rule-engine.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';

describe('rule engine: what a rule cannot enqueue is dead-lettered with the reason', () => {
  let t: TestCloud;
  const runtime = { invoke: async () => undefined } as unknown as LambdaRuntime;

  beforeAll(async () => {
    t = await startTestCloud({ handlersOverride: stubHandlers() });
  });
  afterAll(async () => {
    await t?.cleanup();
  });
  beforeEach(async () => {
    await t.aws.sqs.send(new PurgeQueueCommand({ QueueUrl: t.cloud.queues.ingestDeadLetter.url }));
  });

  const deadLetters = async () => {
    const res = await t.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: t.cloud.queues.ingestDeadLetter.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    return (res.Messages ?? []).map((m) => DeadLetterSchema.parse(JSON.parse(m.Body ?? '')));
  };

  it('a message too large for SQS: dead letter with the reason, the facts, without the payload', async () => {
    const rules = createRuleEngine({
      runtime,
      sqs: t.aws.sqs,
      queues: t.cloud.queues,
      log: createLog('silent'),
    });

    rules.dispatch({ topic: 'dt/fleet/big-1/report', payload: Buffer.alloc(900 * 1024), clientId: 'big-1' });
    await rules.idle();

    const [entry] = await deadLetters();
    expect(entry).toMatchObject({ source: 'reports', topic: 'dt/fleet/big-1/report', deviceId: 'big-1' });
    expect(entry?.reason).toMatch(/could not send to queue reports: .*(large|long|shorter|size)/i);
    expect(entry?.reason).toMatch(/original payload of 921600 bytes not kept/);
    expect(entry?.event).toMatchObject({ topic: 'dt/fleet/big-1/report', clientId: 'big-1' });
  });

  it('any other send failure (queue gone): dead letter with the whole replayable event', async () => {
    const queues = {
      ...t.cloud.queues,
      reports: { ...t.cloud.queues.reports, url: `${t.cloud.queues.reports.url}-missing` },
    };
    const rules = createRuleEngine({ runtime, sqs: t.aws.sqs, queues, log: createLog('silent') });

    rules.dispatch({ topic: 'dt/fleet/lost-1/report', payload: Buffer.from('abc'), clientId: 'lost-1' });
    await rules.idle();

    const [entry] = await deadLetters();
    expect(entry?.reason).toMatch(/could not send to queue reports/);
    expect(entry?.event).toMatchObject({ payload: Buffer.from('abc').toString('base64') });
  });
});
