/**
 * The IoT rules engine: every authorized publish (and every lifecycle event) is matched against the
 * topic rules of the wiring. 'topic-rule' invokes the function asynchronously like Lambda does
 * (two retries, then a dead-letter entry on the ingest DLQ); 'topic-rule-queue' sends the rule event
 * to the function's SQS queue. Nothing here throws into the broker.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { topicMatches } from '#protocol/topics.ts';
import { deadLetterOf, sendDeadLetter } from '#wiring/dead-letter.ts';
import { type FunctionName, functions, type QueueName } from '#wiring/fleet.ts';
import type { FunctionSpec, Trigger } from '#wiring/functions.ts';
import { buildRuleEvent, type RuleEvent } from '#wiring/rule-event.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';
import type { Log } from './log.ts';
import type { QueueClient } from './sqs/in-process-client.ts';
import type { QueueRef } from './sqs-s3.ts';

type RuleTrigger = Extract<Trigger, { kind: 'topic-rule' | 'topic-rule-queue' }>;

export interface RuleInput {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly clientId?: string;
  readonly sourceIp?: string;
  /** Basic Ingest: deliver to this rule only. */
  readonly ruleName?: string;
}

export interface RuleEngine {
  /**
   * Routes one message to its rules. Resolves once every SQS-bound rule event of it is on its queue
   * (or dead-lettered): the broker acknowledges a publish only then, so a PUBACK survives kill -9.
   */
  dispatch(input: RuleInput): Promise<void>;
  /** Resolves when every invocation started so far (retries included) has settled. */
  idle(): Promise<void>;
}

export interface RuleEngineOptions {
  readonly runtime: LambdaRuntime;
  /** IoT's SQS action: in the local cloud, the emulator called in-process. */
  readonly sqs: QueueClient;
  readonly queues: Record<QueueName, QueueRef>;
  readonly log: Log;
  /** Delays before the async-invoke retries (Lambda: 1 and 2 minutes; shorter locally). */
  readonly retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [200, 400];

function ruleFunctions(): Array<[FunctionName, RuleTrigger]> {
  return (Object.entries(functions) as Array<[FunctionName, FunctionSpec]>).flatMap(([name, spec]) =>
    spec.trigger.kind === 'topic-rule' || spec.trigger.kind === 'topic-rule-queue'
      ? [[name, spec.trigger] as [FunctionName, RuleTrigger]]
      : [],
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createRuleEngine(options: RuleEngineOptions): RuleEngine {
  const { log } = options;
  const rules = ruleFunctions();
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const inFlight = new Set<Promise<void>>();

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function invokeAsync(name: FunctionName, event: RuleEvent): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= retryDelays.length; attempt++) {
      if (attempt > 0) await sleep(retryDelays[attempt - 1] ?? 0);
      try {
        await options.runtime.invoke(name, event);
        return;
      } catch (err) {
        lastError = err;
        log.warn(
          `function ${name} failed on ${event.topic} (attempt ${attempt + 1}): ${(err as Error).message}`,
        );
      }
    }
    await deadLetter(name, event, lastError);
  }

  async function deadLetter(name: FunctionName, event: RuleEvent, err: unknown): Promise<void> {
    try {
      await sendDeadLetter(options.sqs, options.queues.ingestDeadLetter.url, deadLetterOf(name, err, event));
    } catch (lastErr) {
      log.error(`could not dead-letter a failed ${name} event`, lastErr);
    }
  }

  async function enqueue(name: FunctionName, queue: QueueName, event: RuleEvent): Promise<void> {
    try {
      await options.sqs.send(
        new SendMessageCommand({ QueueUrl: options.queues[queue].url, MessageBody: JSON.stringify(event) }),
      );
    } catch (err) {
      const cause = err instanceof Error ? err : new Error(String(err));
      const failure = new Error(`rule could not send to queue ${queue}: ${cause.message}`);
      failure.name = cause.name;
      log.warn(`${name}: ${failure.message}`);
      // IoT's rule error action: what the rule could not deliver goes to the ingest DLQ with the reason.
      await deadLetter(name, event, failure);
    }
  }

  return {
    async dispatch(input) {
      let matched = false;
      const queued: Promise<void>[] = [];
      for (const [name, trigger] of rules) {
        if (input.ruleName !== undefined && input.ruleName !== trigger.ruleName) continue;
        if (!topicMatches(trigger.topicFilter, input.topic)) continue;
        matched = true;
        const event = buildRuleEvent({
          payload: input.payload,
          topic: input.topic,
          ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
          ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
          receivedAt: Date.now(),
        });
        if (trigger.kind === 'topic-rule') {
          track(invokeAsync(name, event));
        } else {
          const sent = enqueue(name, trigger.queue as QueueName, event);
          track(sent);
          queued.push(sent);
        }
      }
      if (!matched && input.ruleName !== undefined) {
        log.warn(`Basic Ingest to rule ${input.ruleName} on ${input.topic}: no such rule matches; dropped`);
      }
      await Promise.all(queued);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
