import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { inOrderPerKey, processSqsBatch } from '#lambdas/commons/sqs-batch.ts';

const context = {} as Context;

const record = (messageId: string, body = messageId): SQSRecord =>
  ({ messageId, body, receiptHandle: messageId, attributes: {}, messageAttributes: {} }) as SQSRecord;

const batch = (...ids: string[]): SQSEvent => ({ Records: ids.map((id) => record(id)) });

/** Resolves after `ms` of real time: the batches below interleave on the event loop. */
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('processSqsBatch', () => {
  it('reports each invocation its own failures when two batches run at once in one module scope', async () => {
    // Arrange: records whose id starts with "bad" fail, after a pause, so the batches overlap.
    const handle = async (r: SQSRecord) => {
      await tick(r.messageId.endsWith('1') ? 5 : 20);
      if (r.messageId.startsWith('bad')) throw new Error(`${r.messageId} failed`);
    };

    // Act
    const [first, second] = await Promise.all([
      processSqsBatch(batch('bad-a1', 'ok-a2', 'ok-a3'), context, handle, { processInParallel: false }),
      processSqsBatch(batch('ok-b1', 'bad-b2'), context, handle, { processInParallel: false }),
    ]);

    // Assert
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'bad-a1' }]);
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: 'bad-b2' }]);
  });

  it('processes the records of a batch at once by default', async () => {
    let running = 0;
    let most = 0;
    const handle = async () => {
      running++;
      most = Math.max(most, running);
      await tick(5);
      running--;
    };

    const response = await processSqsBatch(batch('a', 'b', 'c'), context, handle);

    expect(most).toBe(3);
    expect(response.batchItemFailures).toEqual([]);
  });
});

describe('inOrderPerKey', () => {
  it('runs the tasks of one key one after the other, in the order they were started', async () => {
    const inOrder = inOrderPerKey();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      return name;
    };

    const results = await Promise.all([
      inOrder('device-1', task('1a', 20)),
      inOrder('device-1', task('1b', 1)),
      inOrder('device-2', task('2a', 5)),
    ]);

    expect(results).toEqual(['1a', '1b', '2a']);
    // 2a overlaps 1a; 1b starts only when 1a has ended.
    expect(log.indexOf('start 2a')).toBeLessThan(log.indexOf('end 1a'));
    expect(log.indexOf('start 1b')).toBeGreaterThan(log.indexOf('end 1a'));
  });

  it('goes on with the next task of a key after one fails, and passes the failure to its caller', async () => {
    const inOrder = inOrderPerKey();
    const ran: string[] = [];

    const failed = inOrder('k', async () => {
      await tick(5);
      ran.push('first');
      throw new Error('first broke');
    });
    const next = inOrder('k', async () => {
      ran.push('second');
      return 'second';
    });

    await expect(failed).rejects.toThrow('first broke');
    await expect(next).resolves.toBe('second');
    expect(ran).toEqual(['first', 'second']);
  });
});
