/**
 * Which trigger invokes which handler, with which settings and which resources it may touch.
 * Read by lib/ (CDK: functions, topic rules, event sources, routes, grants) and by local/ (the
 * local cloud's rule engine, queue pollers and API server), so the two cannot drift.
 */
import { ingestRules } from '#protocol/topics.ts';
import type { BucketName, QueueName, TableName } from './resources.ts';

export type Trigger =
  /** IoT topic rule → Lambda (asynchronous invoke; failures retried, then sent to the ingest DLQ). */
  | { readonly kind: 'topic-rule'; readonly ruleName: string; readonly topicFilter: string }
  /** IoT topic rule → SQS queue → Lambda (batches, partial batch failures, redrive to the queue's DLQ). */
  | {
      readonly kind: 'topic-rule-queue';
      readonly ruleName: string;
      readonly topicFilter: string;
      readonly queue: QueueName;
      readonly batchSize: number;
      readonly maxBatchingWindowSec: number;
      /** Batches processed at once (SQS event source maximum concurrency, 2..1000). */
      readonly maxConcurrency: number;
    }
  /** SQS queue → Lambda. */
  | {
      readonly kind: 'queue';
      readonly queue: QueueName;
      readonly batchSize: number;
      readonly maxBatchingWindowSec: number;
      /** Batches processed at once (SQS event source maximum concurrency, 2..1000). */
      readonly maxConcurrency: number;
    }
  /** API Gateway HTTP API routes ("GET /devices/{id}"). */
  | { readonly kind: 'api'; readonly routes: readonly string[] };

export interface Access {
  readonly tables?: Partial<Record<TableName, 'read' | 'readWrite'>>;
  readonly buckets?: Partial<Record<BucketName, 'read' | 'readWrite'>>;
  readonly queues?: Partial<Record<QueueName, 'send' | 'consume'>>;
  /** May publish to cmd/fleet/* through the IoT data plane. */
  readonly iotPublish?: boolean;
}

export interface FunctionSpec {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSec: number;
  readonly trigger: Trigger;
  readonly access: Access;
}

export const functions = {
  heartbeat: {
    entry: 'lambdas/heartbeat.ts',
    description: 'Records heartbeats (last seen, version, source IP, connectivity); nudges stale devices',
    memoryMb: 256,
    timeoutSec: 10,
    trigger: { kind: 'topic-rule', ...ingestRules.heartbeat },
    access: {
      // Inventory read-write: reconciling the report sequence records lag markers and rate-limits resyncs.
      tables: { devices: 'readWrite', inventory: 'readWrite' },
      queues: { ingestDeadLetter: 'send' },
      iotPublish: true,
    },
  },
  presence: {
    entry: 'lambdas/presence.ts',
    description: 'Tracks connect/disconnect lifecycle events',
    memoryMb: 256,
    timeoutSec: 10,
    trigger: { kind: 'topic-rule', ...ingestRules.presence },
    access: { tables: { devices: 'readWrite' }, queues: { ingestDeadLetter: 'send' } },
  },
  reports: {
    entry: 'lambdas/report.ts',
    description: 'Archives inventory reports and merges them into per-section state',
    memoryMb: 512,
    timeoutSec: 30,
    trigger: {
      kind: 'topic-rule-queue',
      ...ingestRules.report,
      queue: 'reports',
      batchSize: 10,
      maxBatchingWindowSec: 1,
      // Reports of one device may be applied concurrently; the store is correct under that.
      maxConcurrency: 5,
    },
    access: {
      tables: { inventory: 'readWrite', devices: 'readWrite' },
      buckets: { archive: 'readWrite' },
      queues: { reports: 'consume', ingestDeadLetter: 'send' },
      iotPublish: true,
    },
  },
  api: {
    entry: 'lambdas/api.ts',
    description: 'Operator API',
    memoryMb: 512,
    timeoutSec: 15,
    trigger: {
      kind: 'api',
      routes: [
        'GET /devices',
        'GET /devices/{id}',
        'GET /devices/{id}/inventory',
        'GET /devices/{id}/inventory/changes',
      ],
    },
    access: {
      tables: { devices: 'read', inventory: 'read' },
      buckets: { archive: 'read' },
    },
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;
