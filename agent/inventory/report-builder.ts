/**
 * Turns a collection pass into the next report: a full report when there is no baseline (start,
 * resync, new epoch), otherwise one merge patch per changed section, or nothing at all when no
 * section and no collector error changed. Pure apart from taking a sequence from `seqStore`, which
 * it does only when a report is produced.
 */
import { type DiffReport, type FullReport, SECTION_NAMES } from '#protocol/inventory.ts';
import { createMergePatch, jsonEqual } from '#protocol/merge-patch.ts';
import type { CollectedInventory, CollectorError, InventorySections } from './sections.ts';
import type { SequenceSource } from './sequence-store.ts';

/** What the cloud holds after our last report: the base the next diff applies on. */
export interface ReportBaseline {
  epoch: string;
  seq: number;
  sections: InventorySections;
  errors: CollectorError[];
}

export interface BuiltReport {
  report: FullReport | DiffReport;
  baseline: ReportBaseline;
}

export interface BuildReportOptions {
  agentVersion: string;
  /** Send a full report even when a baseline exists (resync request). */
  forceFull?: boolean;
}

export function buildReport(
  prev: ReportBaseline | undefined,
  next: CollectedInventory,
  seqStore: SequenceSource,
  { agentVersion, forceFull = false }: BuildReportOptions,
): BuiltReport | undefined {
  const header = { schema: 1 as const, epoch: seqStore.epoch, agentVersion, errors: next.errors };
  if (prev === undefined || forceFull || prev.epoch !== seqStore.epoch) {
    const seq = seqStore.next();
    const report: FullReport = {
      ...header,
      kind: 'full',
      seq,
      collectedAt: next.collectedAt,
      sections: next.sections,
    };
    return { report, baseline: baselineOf(seqStore.epoch, seq, next) };
  }
  const patches = diffSections(prev.sections, next.sections);
  if (patches === undefined && jsonEqual(prev.errors, next.errors)) return undefined;
  const seq = seqStore.next();
  const report: DiffReport = {
    ...header,
    kind: 'diff',
    seq,
    baseSeq: prev.seq,
    collectedAt: next.collectedAt,
    patches: patches ?? {},
  };
  return { report, baseline: baselineOf(seqStore.epoch, seq, next) };
}

/** One merge patch per changed section; undefined when no section changed. */
export function diffSections(
  before: InventorySections,
  after: InventorySections,
): DiffReport['patches'] | undefined {
  const patches: DiffReport['patches'] = {};
  let changed = false;
  for (const name of SECTION_NAMES) {
    const old = before[name];
    const now = after[name];
    // A section that disappears (collector removed, never failed) is emptied key by key.
    if (old === undefined && now === undefined) continue;
    const patch = createMergePatch(old ?? {}, now ?? {});
    if (patch !== undefined) {
      patches[name] = patch;
      changed = true;
    }
  }
  return changed ? patches : undefined;
}

function baselineOf(epoch: string, seq: number, next: CollectedInventory): ReportBaseline {
  return { epoch, seq, sections: next.sections, errors: next.errors };
}
