/**
 * What the cloud would hold after a stream of inventory reports, applied in arrival order as the
 * report handler does: a full report replaces the state, a diff applies only on the sequence it
 * names, a duplicate or older report is ignored. Tests compare it with the agent's own inventory.
 */
import { type JsonObject, type Report, ReportSchema } from '#protocol/inventory.ts';
import { applyMergePatch } from '#protocol/merge-patch.ts';

export interface ReplayedInventory {
  seq: number;
  sections: Record<string, JsonObject>;
  /** Diffs that arrived on a base other than the stored one (the cloud would ask for a resync). */
  gaps: number;
}

export function replayReports(reports: readonly unknown[]): ReplayedInventory {
  const state: ReplayedInventory = { seq: 0, sections: {}, gaps: 0 };
  for (const raw of reports) {
    const report: Report = ReportSchema.parse(raw);
    if (report.seq <= state.seq) continue;
    if (report.kind === 'full') {
      state.sections = { ...report.sections } as Record<string, JsonObject>;
      state.seq = report.seq;
    } else if (report.baseSeq === state.seq) {
      for (const [name, patch] of Object.entries(report.patches)) {
        state.sections[name] = applyMergePatch(state.sections[name] ?? {}, patch as JsonObject);
      }
      state.seq = report.seq;
    } else {
      state.gaps += 1;
    }
  }
  return state;
}

/** Plain JSON, so null-prototype objects compare equal to literals. */
export const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
