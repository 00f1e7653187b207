/** The inventory feature's public surface. */
export { collectInventory } from './collect.ts';
export { realCollectors } from './collectors/real.ts';
export { INVENTORY_DEFAULTS, InventoryModule, type InventoryModuleOptions } from './module.ts';
export { type BuiltReport, buildReport, diffSections, type ReportBaseline } from './report-builder.ts';
export type { CollectedInventory, CollectorError, InventorySections, SectionCollector } from './sections.ts';
export { FileSequenceStore, MemorySequenceStore, type SequenceSource } from './sequence-store.ts';
