/**
 * What to do with a report, given where the stored state stands. Pure: the store re-checks the same
 * decision atomically with a conditional write, so a stale read only ever costs a retry.
 */

/** Where the stored state stands (from the meta item). */
export interface StoredPosition {
  readonly epoch: string;
  readonly seq: number;
  /** receivedAt of the full report that started the stored epoch: orders epochs (broker clock). */
  readonly epochStartedAt: number;
}

export interface ReportPosition {
  readonly kind: 'full' | 'diff';
  readonly epoch: string;
  readonly seq: number;
  /** Diffs only. */
  readonly baseSeq?: number;
  readonly receivedAt: number;
}

export type Decision =
  /** Apply now. `newEpoch` when the report starts a new base (first report or reinstalled agent). */
  | { readonly action: 'apply'; readonly newEpoch: boolean }
  /** Already reflected by the stored state. `latest` when it is exactly the stored version. */
  | { readonly action: 'duplicate'; readonly latest: boolean }
  /** From an epoch the stored state has already moved past. */
  | { readonly action: 'stale' }
  /** A diff whose base has not arrived (yet): keep it until the base arrives. */
  | { readonly action: 'hold' }
  /** A diff over a base the stored history does not have: never apply it; ask for a full report. */
  | { readonly action: 'wrong-base' };

export function decideReport(stored: StoredPosition | undefined, report: ReportPosition): Decision {
  if (report.kind === 'full') {
    if (stored === undefined) return { action: 'apply', newEpoch: true };
    if (stored.epoch === report.epoch) {
      if (report.seq > stored.seq) return { action: 'apply', newEpoch: false };
      return { action: 'duplicate', latest: report.seq === stored.seq };
    }
    return report.receivedAt > stored.epochStartedAt
      ? { action: 'apply', newEpoch: true }
      : { action: 'stale' };
  }
  if (stored === undefined) return { action: 'hold' };
  if (stored.epoch !== report.epoch) {
    return report.receivedAt > stored.epochStartedAt ? { action: 'hold' } : { action: 'stale' };
  }
  if (report.seq <= stored.seq) return { action: 'duplicate', latest: report.seq === stored.seq };
  const base = report.baseSeq ?? -1;
  if (base === stored.seq) return { action: 'apply', newEpoch: false };
  if (base > stored.seq) return { action: 'hold' };
  return { action: 'wrong-base' };
}
