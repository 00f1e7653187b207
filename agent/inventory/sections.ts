/**
 * The agent-side shape of inventory state: one plain JSON object per section, and collectors that
 * each produce one section. Values never contain null (a merge patch cannot express it).
 */
import type { JsonObject, SectionName } from '#protocol/inventory.ts';

export type InventorySections = Partial<Record<SectionName, JsonObject>>;

export interface CollectorError {
  section: SectionName;
  reason: string;
}

/** Produces one section. May be slow or fail; the caller bounds it with a timeout. */
export interface SectionCollector {
  readonly section: SectionName;
  collect(): Promise<JsonObject>;
}

/** One collection pass: the sections as they are now, and the collectors that failed. */
export interface CollectedInventory {
  sections: InventorySections;
  errors: CollectorError[];
  collectedAt: number;
}
