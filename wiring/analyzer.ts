/**
 * Analyzer: per-session batches from devices (rule → queue → handler, in large batches so that one
 * invocation writes one raw bundle for hundreds of batches), the batch index and session summaries
 * they build, and the Parquet query tables written from each bundle by a second function.
 */
import type { Feature } from './feature.ts';
import { topicRuleSource } from './ingest.ts';

/**
 * The analyzer table's index of session summaries by device and the UTC day of their last sample
 * (a day, not the time: the entry moves once a day, not at every summary write).
 */
export const SESSIONS_BY_LAST_SEEN_DAY = 'sessionsByLastSeenDay';

export const analyzer = {
  name: 'analyzer',
  tables: {
    /** Per device: one item per batch (where its raw frame is) and one summary per session. */
    analyzer: {
      partitionKey: 'deviceId',
      sortKey: 'sk',
      envVar: 'ANALYZER_TABLE',
      localName: 'fleetpulse-analyzer',
      // A device's sessions, most recent first. Only summaries carry `lastSeenDay`: batch items stay out.
      indexes: { [SESSIONS_BY_LAST_SEEN_DAY]: { partitionKey: 'deviceId', numberSortKey: 'lastSeenDay' } },
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
    /** One message per raw bundle written: its query tables are still to be written. */
    analyzerTables: {
      envVar: 'ANALYZER_TABLES_QUEUE_URL',
      localName: 'fleetpulse-analyzer-tables',
      visibilityTimeoutSec: 180,
      retentionDays: 4,
      deadLetter: { queue: 'analyzerTablesDeadLetter', maxReceiveCount: 5 },
    },
    analyzerTablesDeadLetter: {
      envVar: 'ANALYZER_TABLES_DLQ_URL',
      localName: 'fleetpulse-analyzer-tables-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'analyzer-tables',
    },
  },
  functions: {
    analyzer: {
      entry: 'lambdas/analyzer.ts',
      description: 'Archives analyzer batches in bundles, indexes them and folds the session summaries',
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
        queues: { analyzer: 'consume', ingestDeadLetter: 'send', analyzerTables: 'send' },
      },
    },
    /** A function of its own so that neither bundle carries both the Parquet writer and DynamoDB. */
    analyzerTables: {
      entry: 'lambdas/analyzer-tables.ts',
      description: 'Writes the Parquet query tables of a raw analyzer bundle',
      memoryMb: 512,
      timeoutSec: 60,
      trigger: {
        kind: 'queue',
        queue: 'analyzerTables',
        batchSize: 10,
        maxBatchingWindowSec: 1,
        maxConcurrency: 2,
      },
      access: {
        buckets: { archive: 'readWrite' },
        queues: { analyzerTables: 'consume' },
      },
    },
  },
} as const satisfies Feature;
