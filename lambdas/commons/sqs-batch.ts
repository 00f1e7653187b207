/**
 * SQS batches with partial failures (Powertools batch processing) for every queue consumer.
 *
 * One processor per invocation: a processor holds the batch it is working on, its successes and
 * its failures. Lambda runs one invocation per environment at a time, so a module-scope processor
 * works there; the local cloud runs several invocations in one worker (as Lambda Managed Instances
 * do), and two batches sharing a processor mix their failures: a failed record reported as done is
 * deleted instead of retried.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsBatchOptions {
  /** Records in parallel (the default) or one after the other in batch order. */
  readonly processInParallel?: boolean;
}

export function processSqsBatch(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void>,
  options: SqsBatchOptions = {},
): Promise<SQSBatchResponse> {
  return processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
    context,
    processInParallel: options.processInParallel ?? true,
  });
}

export type InOrderPerKey = <T>(key: string, task: () => Promise<T>) => Promise<T>;

/**
 * Runs tasks of different keys at once and tasks of one key one after the other, in the order they
 * were started, whether the one before succeeded or failed. For a batch processed in parallel: the
 * records of one device apply in the order they came, records of different devices overlap.
 */
export function inOrderPerKey(): InOrderPerKey {
  const tails = new Map<string, Promise<void>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const result = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
