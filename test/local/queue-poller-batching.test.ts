/**
 * A queue trigger with a batch size above SQS's 10 per receive (the analyzer's 1,000) gets its
 * backlog in batches of more than 10, as Lambda's event source gathers them, each record once.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functions } from '#wiring/fleet.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const MESSAGES = 300;

describe('queue poller batching', () => {
  let t: TestCloud;
  const batches: string[][] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    t = await startTestCloud({
      handlersOverride: stubHandlers({
        // Every invocation waits until the backlog is queued: the pollers must then gather it.
        analyzer: async (event: SQSEvent) => {
          batches.push(event.Records.map((r) => r.body));
          await held;
        },
      }),
    });
  });
  afterAll(async () => {
    release();
    await t?.cleanup();
  });

  it('hands a backlog to the function in batches above 10, up to the batch size, each message once', async () => {
    const { batchSize } = functions.analyzer.trigger;
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
    for (let i = 0; i < bodies.length; i += 10) {
      await t.aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: t.cloud.queues.analyzer.url,
          Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
        }),
      );
    }
    release();

    await waitFor(() => (batches.flat().length >= MESSAGES ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'every message handed over',
    });

    expect(batchSize).toBeGreaterThan(10);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(10);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(batchSize);
    expect(batches.flat().sort()).toEqual([...bodies].sort());
  });
});
