/**
 * Analyzer: per-session batches from devices (rule → queue → handler, in large batches so that one
 * invocation writes one raw bundle and one Parquet file per table for hundreds of batches), the
 * batch index and session summaries they build.
 */
import type { Feature } from './feature.ts';
import { topicRuleSource } from './ingest.ts';

export const analyzer = {
  name: 'analyzer',
  tables: {
    /** Per device: one item per batch (where its raw frame is) and one summary per session. */
    analyzer: {
      partitionKey: 'deviceId',
      sortKey: 'sk',
      envVar: 'ANALYZER_TABLE',
      localName: 'fleetpulse-analyzer',
    },
  },
  queues: {
    /** Analyzer batches from the topic rule; many per invocation. */
    analyzer: {
      envVar: 'ANALYZER_QUEUE_URL',
      localName: 'fleetpulse-analyzer',
      visibilityTimeoutSec: 180,
      retentionDays: 4,
      deadLetter: { queue: 'analyzerDeadLetter', maxReceiveCount: 5 },
    },
    analyzerDeadLetter: {
      envVar: 'ANALYZER_DLQ_URL',
      localName: 'fleetpulse-analyzer-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'analyzer',
    },
  },
  functions: {
    analyzer: {
      entry: 'lambdas/analyzer.ts',
      description: 'Archives analyzer batches in bundles, writes their query tables and session summaries',
      memoryMb: 512,
      timeoutSec: 60,
      trigger: {
        kind: 'topic-rule-queue',
        ...topicRuleSource('analyzer'),
        queue: 'analyzer',
        // Aggregation is the cost lever: one bundle and one Parquet file per table per invocation.
        batchSize: 1000,
        maxBatchingWindowSec: 20,
        maxConcurrency: 2,
      },
      access: {
        tables: { analyzer: 'readWrite' },
        buckets: { archive: 'readWrite' },
        queues: { analyzer: 'consume', ingestDeadLetter: 'send' },
      },
    },
  },
} as const satisfies Feature;
