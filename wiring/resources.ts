/**
 * What a stateful resource is, as the wiring declares it. Each feature declares the resources it owns
 * (wiring/<feature>.ts); lib/ turns them into DynamoDB tables, S3 buckets and SQS queues, local/
 * creates the same names in its emulators, and handlers find them through `envVar`.
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
  /**
   * Global secondary indexes, by index name: keys only (a read that needs more gets the items by
   * key), so an index costs one small write per indexed item written. An item without the sort-key
   * attribute is not in the index.
   * @default - none
   */
  readonly indexes?: Readonly<Record<string, IndexSpec>>;
}

export interface IndexSpec {
  readonly partitionKey: string;
  /** A number attribute (epoch ms, a counter): the order the index is read in. */
  readonly numberSortKey: string;
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
  /**
   * The name operators give this dead-letter queue in tools (`dlq list --queue <name>`).
   * @default - not listed by operator tools
   */
  readonly operatorName?: string;
}

/** Env var holding the IoT data-plane endpoint (https://xxx-ats.iot.<region>.amazonaws.com in AWS). */
export const IOT_DATA_ENDPOINT_ENV = 'IOT_DATA_ENDPOINT';

/**
 * The environment variable that names a resource to its handlers, by convention from its wiring name:
 * `deviceIndex` table → DEVICE_INDEX_TABLE, `archive` bucket → ARCHIVE_BUCKET, `reports` queue →
 * REPORTS_QUEUE_URL, `reportsDeadLetter` queue → REPORTS_DLQ_URL. Handlers derive it (so a handler's
 * bundle need not carry the whole fleet's wiring); the composition checks every spec's `envVar`
 * against it.
 */
export function resourceEnvVar(kind: 'table' | 'bucket' | 'queue', name: string): string {
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  if (kind === 'table') return `${snake(name)}_TABLE`;
  if (kind === 'bucket') return `${snake(name)}_BUCKET`;
  return name.endsWith('DeadLetter')
    ? `${snake(name.slice(0, -'DeadLetter'.length))}_DLQ_URL`
    : `${snake(name)}_QUEUE_URL`;
}
