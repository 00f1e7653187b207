/**
 * Stateful resources, declared once. lib/ turns them into DynamoDB tables, S3 buckets and SQS
 * queues; local/ creates the same names in its emulators. Handlers find them through `envVar`.
 */

export interface TableSpec {
  readonly partitionKey: string;
  /** @default - no sort key */
  readonly sortKey?: string;
  /** Attribute AWS deletes items by. Clean-up only: correctness never depends on it. */
  readonly ttlAttribute?: string;
  readonly envVar: string;
  /** Table name in the local cloud. In AWS CloudFormation names it. */
  readonly localName: string;
}

export interface BucketSpec {
  readonly envVar: string;
  readonly localName: string;
  /** Objects move to infrequent access after this many days. */
  readonly infrequentAccessAfterDays: number;
  /** Objects expire after this many days. */
  readonly expireAfterDays: number;
}

export interface QueueSpec {
  readonly envVar: string;
  readonly localName: string;
  readonly visibilityTimeoutSec: number;
  readonly retentionDays: number;
  /** Where messages go after `maxReceiveCount` failed receives. @default - none (this is a DLQ) */
  readonly deadLetter?: { readonly queue: string; readonly maxReceiveCount: number };
}

export const tables = {
  /** One item per device: identity, presence, last heartbeat. */
  devices: { partitionKey: 'deviceId', envVar: 'DEVICES_TABLE', localName: 'fleetpulse-devices' },
  /** Per device: a meta item and one item per inventory section (a diff rewrites only what it touches). */
  inventory: {
    partitionKey: 'deviceId',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    envVar: 'INVENTORY_TABLE',
    localName: 'fleetpulse-inventory',
  },
  /** Powertools idempotency records. */
  idempotency: {
    partitionKey: 'id',
    ttlAttribute: 'expiration',
    envVar: 'IDEMPOTENCY_TABLE',
    localName: 'fleetpulse-idempotency',
  },
} as const satisfies Record<string, TableSpec>;

export const buckets = {
  /** Raw reports (change history) and analyzer batches, under deterministic keys. */
  archive: {
    envVar: 'ARCHIVE_BUCKET',
    localName: 'fleetpulse-archive',
    infrequentAccessAfterDays: 30,
    expireAfterDays: 400,
  },
} as const satisfies Record<string, BucketSpec>;

export const queues = {
  /** Device input that failed validation or processing, with the reason; inspect and replay from here. */
  ingestDeadLetter: {
    envVar: 'INGEST_DLQ_URL',
    localName: 'fleetpulse-ingest-dlq',
    visibilityTimeoutSec: 30,
    retentionDays: 14,
  },
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
  },
  /** Per-device command messages from the fan-out, consumed by the dispatcher. */
  commands: {
    envVar: 'COMMANDS_QUEUE_URL',
    localName: 'fleetpulse-commands',
    visibilityTimeoutSec: 60,
    retentionDays: 4,
    deadLetter: { queue: 'commandsDeadLetter', maxReceiveCount: 5 },
  },
  commandsDeadLetter: {
    envVar: 'COMMANDS_DLQ_URL',
    localName: 'fleetpulse-commands-dlq',
    visibilityTimeoutSec: 30,
    retentionDays: 14,
  },
} as const satisfies Record<string, QueueSpec>;

export type TableName = keyof typeof tables;
export type BucketName = keyof typeof buckets;
export type QueueName = keyof typeof queues;

/** Env var holding the IoT data-plane endpoint (https://xxx-ats.iot.<region>.amazonaws.com in AWS). */
export const IOT_DATA_ENDPOINT_ENV = 'IOT_DATA_ENDPOINT';

for (const [name, spec] of Object.entries(queues as Record<string, QueueSpec>)) {
  if (spec.deadLetter && !(spec.deadLetter.queue in queues)) {
    throw new Error(`queue ${name}: dead-letter queue ${spec.deadLetter.queue} is not declared`);
  }
}
