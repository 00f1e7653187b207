/**
 * Queues: one SQS queue per `queues` entry of the wiring (wiring/fleet.ts), with the redrive each declares.
 * A queue that declares no `deadLetter` is itself a dead-letter queue (the wiring's convention).
 */
import { Duration } from 'aws-cdk-lib';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSpec } from '#wiring/resources.ts';
import { acknowledge } from './nag.ts';
import { pascal } from './names.ts';

export interface QueuesProps {
  /** Queues to create, by wiring name. */
  readonly queues: Readonly<Record<string, QueueSpec>>;
}

/** SQS limits. */
const MAX_VISIBILITY_TIMEOUT_SEC = 12 * 60 * 60;
const MIN_RETENTION_DAYS = 1;
const MAX_RETENTION_DAYS = 14;
const MAX_RECEIVE_COUNT = 1000;

export class Queues extends Construct {
  /** The queues, by wiring name. */
  readonly queues: Readonly<Record<string, IQueue>>;
  /** The dead-letter queues (those that declare no `deadLetter`), by wiring name. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    const specs = props.queues;
    for (const [name, spec] of Object.entries(specs)) validateQueueSpec(name, spec, specs);

    // Dead-letter queues first: a source queue's redrive policy references its DLQ.
    const redriveTargets = new Set(Object.values(specs).map((spec) => spec.deadLetter?.queue));
    const ordered = Object.entries(specs).sort(
      ([, a], [, b]) => Number(!!a.deadLetter) - Number(!!b.deadLetter),
    );
    const queues: Record<string, Queue> = {};
    const deadLetterQueues: Record<string, IQueue> = {};
    for (const [name, spec] of ordered) {
      const deadLetter = spec.deadLetter;
      const deadLetterQueue = deadLetter === undefined ? undefined : queues[deadLetter.queue];
      const queue = new Queue(this, pascal(name), {
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSec),
        retentionPeriod: Duration.days(spec.retentionDays),
        // SSE-SQS: encrypted at rest without KMS keys to grant to every producer (IoT rules, Lambda).
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(deadLetter === undefined || deadLetterQueue === undefined
          ? {}
          : { deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: deadLetter.maxReceiveCount } }),
      });
      if (deadLetter === undefined) deadLetterQueues[name] = queue;
      if (deadLetter === undefined && !redriveTargets.has(name)) {
        // cdk-nag only recognises redrive policies and Lambda DeadLetterConfig as DLQ usage, not the
        // IoT rule error actions and Lambda on-failure destinations this kind of queue serves.
        acknowledge(
          queue,
          'AwsSolutions-SQS3',
          `${name} is declared as a dead-letter queue in the wiring (no deadLetter of its own); a DLQ of a DLQ would only hide failures further.`,
        );
      }
      queues[name] = queue;
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
  }
}

function validateQueueSpec(name: string, spec: QueueSpec, all: Readonly<Record<string, QueueSpec>>): void {
  const { visibilityTimeoutSec, retentionDays, deadLetter } = spec;
  if (
    !Number.isInteger(visibilityTimeoutSec) ||
    visibilityTimeoutSec < 0 ||
    visibilityTimeoutSec > MAX_VISIBILITY_TIMEOUT_SEC
  ) {
    throw new Error(
      `queue ${name}: visibilityTimeoutSec must be an integer in 0..${MAX_VISIBILITY_TIMEOUT_SEC}, got ${visibilityTimeoutSec}`,
    );
  }
  if (
    !Number.isInteger(retentionDays) ||
    retentionDays < MIN_RETENTION_DAYS ||
    retentionDays > MAX_RETENTION_DAYS
  ) {
    throw new Error(
      `queue ${name}: retentionDays must be an integer in ${MIN_RETENTION_DAYS}..${MAX_RETENTION_DAYS}, got ${retentionDays}`,
    );
  }
  if (deadLetter === undefined) return;
  const target = all[deadLetter.queue];
  if (target === undefined) {
    throw new Error(`queue ${name}: dead-letter queue '${deadLetter.queue}' is not declared`);
  }
  if (target.deadLetter !== undefined) {
    throw new Error(`queue ${name}: dead-letter queue '${deadLetter.queue}' has a dead-letter queue itself`);
  }
  if (
    !Number.isInteger(deadLetter.maxReceiveCount) ||
    deadLetter.maxReceiveCount < 1 ||
    deadLetter.maxReceiveCount > MAX_RECEIVE_COUNT
  ) {
    throw new Error(
      `queue ${name}: maxReceiveCount must be an integer in 1..${MAX_RECEIVE_COUNT}, got ${deadLetter.maxReceiveCount}`,
    );
  }
  // A moved message keeps its original enqueue time, so a DLQ that keeps less than its source loses it.
  if (target.retentionDays < retentionDays) {
    throw new Error(
      `queue ${name}: dead-letter queue '${deadLetter.queue}' keeps messages ${target.retentionDays} days, less than the ${retentionDays} days of its source`,
    );
  }
}
