/**
 * Inventory: reports from devices (rule → queue → handler), the per-section state and change history
 * they build, and the lag check the heartbeat runs for it (a lost report triggers a resync).
 */
import type { Feature } from './feature.ts';
import { type Contribution, mergeAccess, type SettingSpec } from './functions.ts';
import { topicRuleSource } from './ingest.ts';
import { networkIndexReaction } from './targets.ts';

/** One entry per reaction in lambdas/inventory/report-reactions.ts, by the same name (tested). */
export const reportReactions: readonly Contribution[] = [networkIndexReaction];

export const inventorySettings = {
  gapGrace: {
    name: 'INVENTORY_GAP_GRACE_SEC',
    default: '120',
    doc: 'Seconds a lagging state or a diff waiting for its base may wait before the cloud asks the device for a full report.',
  },
  resyncInterval: {
    name: 'INVENTORY_RESYNC_INTERVAL_SEC',
    default: '300',
    doc: 'At most one resync request per device within this many seconds.',
  },
} as const satisfies Record<string, SettingSpec>;

const allInventorySettings = Object.values(inventorySettings);

/**
 * What the heartbeat handler needs to run the inventory lag reaction: read the inventory meta, record
 * lag markers and rate-limit resyncs (read-write), and publish the resync request.
 */
export const inventoryLagReaction = {
  name: 'inventory-lag',
  access: { tables: { inventory: 'readWrite' }, iotPublish: true },
  settings: allInventorySettings,
} as const satisfies Contribution;

export const inventory = {
  name: 'inventory',
  tables: {
    /** Per device: a meta item and one item per inventory section (a diff rewrites only what it touches). */
    inventory: {
      partitionKey: 'deviceId',
      sortKey: 'sk',
      ttlAttribute: 'expiresAt',
      envVar: 'INVENTORY_TABLE',
      localName: 'fleetpulse-inventory',
    },
  },
  buckets: {
    /** Raw reports (change history) and analyzer batches, under deterministic keys. */
    archive: {
      envVar: 'ARCHIVE_BUCKET',
      localName: 'fleetpulse-archive',
      infrequentAccessAfterDays: 30,
      expireAfterDays: 400,
    },
  },
  queues: {
    /** Inventory reports from the topic rule, consumed in batches with partial failures. */
    reports: {
      envVar: 'REPORTS_QUEUE_URL',
      localName: 'fleetpulse-reports',
      visibilityTimeoutSec: 60,
      retentionDays: 4,
      deadLetter: { queue: 'reportsDeadLetter', maxReceiveCount: 5 },
    },
    reportsDeadLetter: {
      envVar: 'REPORTS_DLQ_URL',
      localName: 'fleetpulse-reports-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'reports',
    },
  },
  functions: {
    reports: {
      entry: 'lambdas/report.ts',
      description: 'Archives inventory reports and merges them into per-section state',
      memoryMb: 512,
      timeoutSec: 30,
      trigger: {
        kind: 'topic-rule-queue',
        ...topicRuleSource('report'),
        queue: 'reports',
        batchSize: 10,
        maxBatchingWindowSec: 1,
        // Reports of one device may be applied concurrently; the store is correct under that.
        maxConcurrency: 5,
      },
      access: mergeAccess(
        {
          tables: { inventory: 'readWrite', devices: 'readWrite' },
          buckets: { archive: 'readWrite' },
          queues: { reports: 'consume', ingestDeadLetter: 'send' },
          iotPublish: true,
        },
        ...reportReactions.map((reaction) => reaction.access),
      ),
      settings: allInventorySettings,
    },
  },
} as const satisfies Feature;
