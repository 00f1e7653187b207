/**
 * Applying inventory reports to the stored state — correct under at-least-once, unordered delivery
 * without transactions.
 *
 * The state is a set of small shard items plus one small `meta` item naming, per shard, which of its
 * two slots holds the current version (double buffering). Applying a report:
 *   1. archive the raw frame in S3 (deterministic key, written only if absent: a redelivery finds its
 *      own copy there, a different report reusing the sequence finds another one and is refused);
 *   2. read meta and, per touched section, either only the shards a diff's patch reaches (when it
 *      provably keeps the section's layout, see partial-apply.ts) or all of them; merge; re-cut
 *      (plan.ts);
 *   3. put the change summary, conditional on "absent or same report" — this claims the sequence, so
 *      two different reports can never both write under it;
 *   4. put each changed shard into the slot the current meta does NOT point at, conditional on that
 *      slot holding an older generation (or this same report's write, for a retry) — so a write can
 *      never land on a slot a committed meta points at;
 *   5. flip meta with a compare-and-set on the generation it was computed from — the commit point;
 *   6. apply diffs that were waiting for this version.
 * Readers read meta, then the slots it names, and check each slot still holds the named generation
 * (else re-read): always one consistent version. Nothing is deleted on the way: a superseded version
 * sits in the other slot until the next change of that shard overwrites it, which costs one write
 * instead of a put plus a delete. A crash before 5 leaves slot writes nobody points at; the retry
 * rewrites them identically and flips. A crash after 5 leaves nothing to repair but waiting diffs,
 * which every later report (and the retry, a duplicate) drains.
 */
import { Semaphore } from '#agent/semaphore.ts';
import { ProtocolError } from '#lambdas/commons/errors.ts';
import { decodeFramed } from '#protocol/encoding.ts';
import { type Report, ReportSchema } from '#protocol/inventory.ts';
import { contentionPause } from '../commons/contention.ts';
import { type Decision, decideReport, type ReportPosition } from './decide.ts';
import { CapacityMeter, type InventoryDeps, settingsOf } from './deps.ts';
import { archiveKey, epochTag, PENDING_PREFIX, pendingSk } from './keys.ts';
import {
  archiveReport,
  deleteItems,
  getMeta,
  type MetaItem,
  type PendingItem,
  putIf,
  putItems,
  queryPrefix,
  readArchivedReport,
  StaleReadError,
} from './persistence.ts';
import { type ApplyPlan, type IncomingReport, planApply } from './plan.ts';
import { checkReportContent, conflictingReport, conflictsWithAccepted, sameReport } from './report-checks.ts';
import { requestResync } from './resync.ts';

/**
 * A slot written by a newer generation that never committed belongs to an apply still in flight —
 * unless it is older than any apply can run (Lambda timeout 30 s): then its writer is dead.
 */
export const ABANDONED_SLOT_MS = 2 * 60_000;
/** Pending diffs are kept at most this long (TTL clean-up only; the logic never relies on it). */
const PENDING_TTL_SEC = 30 * 24 * 3600;

export type ReportOutcome = 'applied' | 'duplicate' | 'stale' | 'held' | 'wrong-base';

export interface IngestResult {
  readonly outcome: ReportOutcome;
  /** Sequences applied by this call: the report itself and any waiting diffs it unblocked. */
  readonly appliedSeqs: readonly number[];
  /** Sections whose content those reports changed (what post-apply reactions look at). */
  readonly changedSections: readonly string[];
  /** DynamoDB write units this call consumed (shards, change, meta, deletes, pending). */
  readonly writeUnits: number;
  readonly readUnits: number;
  /** Sections of diffs planned from only the shards the diff reaches, and read whole (retries included). */
  readonly sectionReads: { readonly partial: number; readonly whole: number };
}

/** The whole path for one valid report: archive, apply (or hold, or drop), then unblock waiting diffs. */
export async function ingestReport(
  deps: InventoryDeps,
  input: { deviceId: string; report: Report; raw: Uint8Array; receivedAt: number },
): Promise<IngestResult> {
  const { deviceId, report } = input;
  checkReportContent(report);
  const key = archiveKey(deviceId, report.epoch, report.seq);
  const archived = await archiveReport(deps, key, input.raw, (frame) => sameReport(frame, input.raw, report));
  if (archived === 'conflict') throw conflictingReport(report);
  const meter = new CapacityMeter();
  const appliedSeqs: number[] = [];
  const changed = new Set<string>();
  const outcome = await settleReport(
    deps,
    deviceId,
    { report, receivedAt: input.receivedAt, archiveKey: key },
    meter,
    appliedSeqs,
    changed,
    { waitForBase: true },
  );
  await drainPending(deps, deviceId, meter, appliedSeqs, changed);
  return {
    outcome,
    appliedSeqs,
    changedSections: [...changed],
    writeUnits: meter.writeUnits,
    readUnits: meter.readUnits,
    sectionReads: { ...meter.sectionReads },
  };
}

const positionOf = (r: IncomingReport): ReportPosition => ({
  kind: r.report.kind,
  epoch: r.report.epoch,
  seq: r.report.seq,
  ...(r.report.kind === 'diff' ? { baseSeq: r.report.baseSeq } : {}),
  receivedAt: r.receivedAt,
});

/** Decides and acts on one report, re-deciding whenever a concurrent writer moved the state first. */
export async function settleReport(
  deps: InventoryDeps,
  deviceId: string,
  incoming: IncomingReport,
  meter: CapacityMeter,
  appliedSeqs: number[] = [],
  changedSections: Set<string> = new Set(),
  options: { waitForBase?: boolean } = {},
): Promise<ReportOutcome> {
  let waits = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    const meta = await getMeta(deps, deviceId, meter);
    const decision: Decision = decideReport(meta, positionOf(incoming));
    switch (decision.action) {
      case 'apply': {
        let plan: ApplyPlan;
        try {
          plan = await planApply(deps, deviceId, incoming, meta, decision.newEpoch, meter);
        } catch (err) {
          if (err instanceof StaleReadError) continue;
          throw err;
        }
        await claimChange(deps, plan, meter);
        if (!(await writeShards(deps, plan, meter))) {
          await contentionPause(attempt, SHARD_CONTENTION);
          continue;
        }
        if (!(await flipMeta(deps, plan, meter))) continue;
        appliedSeqs.push(incoming.report.seq);
        for (const name of Object.keys(plan.change.sections)) changedSections.add(name);
        return 'applied';
      }
      case 'duplicate':
        // Acknowledged and dropped only if it is the report accepted under that sequence.
        if (meta && (await conflictsWithAccepted(deps, meta, incoming.report, meter))) {
          throw conflictingReport(incoming.report);
        }
        return 'duplicate';
      case 'stale':
        return 'stale';
      case 'hold': {
        const pause = options.waitForBase ? settingsOf(deps).baseWaitPausesMs[waits] : undefined;
        if (pause !== undefined) {
          // The first look comes later the more reports still have to land before the base.
          const scale = waits === 0 ? Math.min(reportsMissing(meta, incoming.report), 4) : 1;
          waits++;
          attempt--; // a look for the base is not a lost race
          await new Promise((resolve) => setTimeout(resolve, pause * scale));
          continue;
        }
        await holdDiff(deps, deviceId, incoming, meter);
        return 'held';
      }
      case 'wrong-base':
        await requestResync(
          deps,
          deviceId,
          {
            reason: `diff ${incoming.report.seq} applies on ${positionOf(incoming).baseSeq}, but the stored history has ${meta?.seq}`,
            deviceEpoch: incoming.report.epoch,
            storedSeq: meta?.epoch === incoming.report.epoch ? meta.seq : null,
          },
          meter,
        );
        return 'wrong-base';
    }
  }
  throw new Error(`inventory of ${deviceId} kept moving while applying ${incoming.report.seq}; retry`);
}

/** Reports between the stored state and a diff that cannot apply yet (its base included), at least 1. */
function reportsMissing(stored: MetaItem | undefined, report: Report): number {
  if (report.kind !== 'diff' || stored === undefined || stored.epoch !== report.epoch) return 1;
  return Math.max(report.baseSeq - stored.seq, 1);
}

/** Step 3: the change summary, which also claims the sequence for this report's content. */
export async function claimChange(
  deps: InventoryDeps,
  plan: ApplyPlan,
  meter?: CapacityMeter,
): Promise<void> {
  const claimed = await putIf(
    deps,
    plan.change as unknown as Record<string, unknown>,
    {
      ConditionExpression: 'attribute_not_exists(sk) OR digest = :d',
      ExpressionAttributeValues: { ':d': plan.change.digest },
    },
    meter,
  );
  if (!claimed) {
    throw new ProtocolError(
      `report ${plan.change.seq} of epoch ${plan.change.epoch} differs from the report already accepted with that sequence`,
    );
  }
}

/**
 * Step 4: each changed shard into its free slot. The condition admits a slot holding a generation
 * at or below the base (superseded), this same write (a retry), or an abandoned write; false when a
 * concurrent apply holds a slot — the caller re-reads and re-decides.
 */
export async function writeShards(
  deps: InventoryDeps,
  plan: ApplyPlan,
  meter?: CapacityMeter,
): Promise<boolean> {
  const baseGen = plan.previous?.gen ?? 0;
  const writing = new Semaphore(SHARD_WRITES_AT_ONCE);
  const results = await Promise.all(
    plan.shardItems.map((item) =>
      writing.run(() =>
        putIf(
          deps,
          item as unknown as Record<string, unknown>,
          {
            ConditionExpression:
              'attribute_not_exists(g) OR g <= :base OR (g = :g AND d = :d) OR writtenAt < :abandoned',
            ExpressionAttributeValues: {
              ':base': baseGen,
              ':g': item.g,
              ':d': item.d,
              ':abandoned': deps.now() - ABANDONED_SLOT_MS,
            },
          },
          meter,
        ),
      ),
    ),
  );
  return results.every(Boolean);
}

/** Step 5, the commit point: compare-and-set on the generation the plan was computed from. */
export function flipMeta(deps: InventoryDeps, plan: ApplyPlan, meter?: CapacityMeter): Promise<boolean> {
  const prev = plan.previous;
  return putIf(
    deps,
    plan.meta as unknown as Record<string, unknown>,
    prev
      ? { ConditionExpression: 'gen = :g', ExpressionAttributeValues: { ':g': prev.gen } }
      : { ConditionExpression: 'attribute_not_exists(sk)' },
    meter,
  );
}

const SHARD_CONTENTION = { baseMs: 10, maxMs: 500, jitter: false } as const;

/**
 * Shard writes of one report in flight at once: a device's first full report writes ~150 shards,
 * and several reports apply at once in one execution environment, sharing its SDK sockets.
 */
const SHARD_WRITES_AT_ONCE = 8;

async function holdDiff(
  deps: InventoryDeps,
  deviceId: string,
  incoming: IncomingReport,
  meter: CapacityMeter,
): Promise<void> {
  const { report } = incoming;
  if (report.kind !== 'diff') return;
  const item: PendingItem = {
    deviceId,
    sk: pendingSk(epochTag(report.epoch), report.baseSeq, report.seq),
    epoch: report.epoch,
    seq: report.seq,
    baseSeq: report.baseSeq,
    receivedAt: incoming.receivedAt,
    heldAt: deps.now(),
    archiveKey: incoming.archiveKey,
    expiresAt: Math.floor(deps.now() / 1000) + PENDING_TTL_SEC,
  };
  await putItems(deps, [item as unknown as Record<string, unknown>], meter);
}

/**
 * Applies (or drops) diffs that were waiting for a base, until none can make progress. Called after
 * every report, so a diff held while its base was being applied concurrently is never stranded: one
 * of the two writers always sees the other's write. A diff that waits longer than the grace period
 * makes the cloud ask for a full report.
 */
export async function drainPending(
  deps: InventoryDeps,
  deviceId: string,
  meter: CapacityMeter = new CapacityMeter(),
  appliedSeqs: number[] = [],
  changedSections: Set<string> = new Set(),
): Promise<void> {
  for (let round = 0; round < 10_000; round++) {
    const pending = await queryPrefix<PendingItem>(deps, deviceId, PENDING_PREFIX, meter);
    if (pending.length === 0) return;
    const meta = await getMeta(deps, deviceId, meter);
    let progressed = false;
    const waiting: PendingItem[] = [];
    for (const item of pending) {
      const decision = decideReport(meta, { kind: 'diff', ...item });
      if (decision.action === 'hold') {
        waiting.push(item);
        continue;
      }
      if (decision.action === 'apply') {
        const raw = await readArchivedReport(deps, item.archiveKey);
        const report = ReportSchema.parse(decodeFramed(raw));
        let outcome: ReportOutcome | undefined;
        try {
          outcome = await settleReport(
            deps,
            deviceId,
            { report, receivedAt: item.receivedAt, archiveKey: item.archiveKey },
            meter,
            appliedSeqs,
            changedSections,
          );
        } catch (err) {
          // A held diff that turns out to conflict is dropped; the device resyncs through the gap logic.
          if (!(err instanceof ProtocolError)) throw err;
        }
        if (outcome === 'held') continue;
      } else if (decision.action === 'wrong-base') {
        await requestResync(
          deps,
          deviceId,
          {
            reason: `diff ${item.seq} applies on ${item.baseSeq}, but the stored history has ${meta?.seq}`,
            deviceEpoch: item.epoch,
            storedSeq: meta?.epoch === item.epoch ? meta.seq : null,
          },
          meter,
        );
      }
      await deleteItems(deps, deviceId, [item.sk], meter);
      progressed = true;
      break;
    }
    if (!progressed) {
      const overdue = waiting.find((p) => deps.now() - p.heldAt >= settingsOf(deps).gapGraceMs);
      if (overdue) {
        await requestResync(
          deps,
          deviceId,
          {
            reason: `diff ${overdue.seq} has waited for its base ${overdue.baseSeq} since ${new Date(overdue.heldAt).toISOString()}`,
            deviceEpoch: overdue.epoch,
            storedSeq: meta?.epoch === overdue.epoch ? meta.seq : null,
          },
          meter,
        );
      }
      return;
    }
  }
}
