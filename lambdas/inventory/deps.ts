/**
 * What the inventory domain needs from the outside world. Handlers build it from the shared clients
 * (see handler-deps.ts in this folder); tests build it against local emulators.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface InventorySettings {
  /** At most one resync request per device within this interval. */
  readonly resyncIntervalMs: number;
  /** How long a lagging state or a diff waiting for its base may wait before the cloud asks for a resync. */
  readonly gapGraceMs: number;
  /**
   * Pauses before each new look for a diff's missing base before the diff is held (see
   * apply.ts BASE_WAIT_PAUSES_MS); empty holds at once.
   */
  readonly baseWaitPausesMs: readonly number[];
}

/**
 * About 0.4 s in all. When one device's reports come in a burst (an agent's outbox replaying after
 * an outage), consecutive reports land in batches that run at the same time, and a diff's base is
 * usually being applied by another invocation right then. A look costs one small meta read; holding
 * costs a pending write, its delete, a read of the archived copy and another meta read.
 */
export const BASE_WAIT_PAUSES_MS: readonly number[] = [40, 40, 80, 120, 160];

export const DEFAULT_INVENTORY_SETTINGS: InventorySettings = {
  resyncIntervalMs: 5 * 60_000,
  gapGraceMs: 2 * 60_000,
  baseWaitPausesMs: BASE_WAIT_PAUSES_MS,
};

export interface InventoryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** Name of the `inventory` table. */
  readonly table: string;
  /** Name of the `archive` bucket. */
  readonly bucket: string;
  /** Publishes a JSON command to a device topic (QoS 1). */
  readonly publish: (topic: string, payload: string) => Promise<void>;
  readonly now: () => number;
  readonly settings?: Partial<InventorySettings>;
}

export const settingsOf = (deps: InventoryDeps): InventorySettings => ({
  ...DEFAULT_INVENTORY_SETTINGS,
  ...deps.settings,
});

/** DynamoDB capacity consumed by one operation, from ReturnConsumedCapacity: 'TOTAL'. */
export class CapacityMeter {
  writeUnits = 0;
  readUnits = 0;
  /** Sections of diffs planned from only the shards the diff reaches, and read whole (retries included). */
  readonly sectionReads = { partial: 0, whole: 0 };
  countSections(partial: number, whole: number): void {
    this.sectionReads.partial += partial;
    this.sectionReads.whole += whole;
  }
  addWrite(consumed: { CapacityUnits?: number } | readonly { CapacityUnits?: number }[] | undefined): void {
    this.writeUnits += sumUnits(consumed);
  }
  addRead(consumed: { CapacityUnits?: number } | readonly { CapacityUnits?: number }[] | undefined): void {
    this.readUnits += sumUnits(consumed);
  }
}

function sumUnits(
  consumed: { CapacityUnits?: number } | readonly { CapacityUnits?: number }[] | undefined,
): number {
  if (consumed === undefined) return 0;
  const list = Array.isArray(consumed) ? consumed : [consumed as { CapacityUnits?: number }];
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}
