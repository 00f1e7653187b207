/**
 * Step 2 of applying a report (apply.ts): everything the apply will write, computed from the stored
 * version it starts from — pure apart from reading the shards it needs.
 */
import { ProtocolError } from '#lambdas/commons/errors.ts';
import { type FullReport, type JsonObject, type Report, SECTION_NAMES } from '#protocol/inventory.ts';
import { applyMergePatch } from '#protocol/merge-patch.ts';
import type { CapacityMeter, InventoryDeps } from './deps.ts';
import { changeSk, epochTag, META_SK, shardSk } from './keys.ts';
import { applyLocal, type LocalResult, type LocalTargets, localTargets } from './partial-apply.ts';
import { type ChangeItem, changeEpochAt, type MetaItem, type ShardItem } from './persistence.ts';
import { type OldSection, oldSection, readSectionShards } from './read.ts';
import { MAX_SECTION_BYTES, reportDigest } from './report-checks.ts';
import {
  buildShards,
  chooseShardCount,
  decodeManifest,
  encodeManifest,
  sectionBytes,
  sectionDigest,
  sectionLayout,
  slotOf,
  updateDigest,
  versionOf,
} from './shards.ts';
import { type SectionChange, summarizeSectionChange } from './summary.ts';

/** A report to apply, with what the broker told us about it. */
export interface IncomingReport {
  readonly report: Report;
  readonly receivedAt: number;
  readonly archiveKey: string;
}

export interface ApplyPlan {
  readonly deviceId: string;
  readonly previous: MetaItem | undefined;
  readonly meta: MetaItem;
  readonly shardItems: readonly ShardItem[];
  readonly change: ChangeItem;
}

/** Step 2: everything the apply will write, computed from the version `previous` (pure apart from reads). */
export async function planApply(
  deps: InventoryDeps,
  deviceId: string,
  incoming: IncomingReport,
  previous: MetaItem | undefined,
  newEpoch: boolean,
  meter?: CapacityMeter,
): Promise<ApplyPlan> {
  const { report } = incoming;
  const tag = epochTag(report.epoch);
  const now = deps.now();
  const sameEpoch = previous !== undefined && previous.epoch === report.epoch;

  // A diff reads, per section, only the shards its patch reaches when it provably keeps the
  // section's layout (local.ts); other sections, and full reports, are read whole and re-cut.
  const targets = new Map<string, LocalTargets>();
  if (report.kind === 'diff' && previous && sameEpoch) {
    for (const [name, patch] of Object.entries(report.patches)) {
      const encoded = previous.manifest[name];
      if (!patch || encoded === undefined) continue;
      const t = localTargets(patch, decodeManifest(encoded));
      if (t) targets.set(name, t);
    }
  }
  const unchanged =
    report.kind === 'full' && previous ? unchangedSections(report, previous) : new Set<string>();
  const toRead: Map<string, readonly number[] | undefined> = new Map(
    (report.kind === 'diff'
      ? Object.keys(report.patches)
      : previous
        ? Object.keys(previous.manifest).filter((name) => !unchanged.has(name))
        : []
    ).map((name) => [name, targets.get(name)?.shards]),
  );
  const read: Map<string, Map<number, string>> = previous
    ? await readSectionShards(deps, previous, toRead, meter)
    : new Map();
  const local = new Map<string, LocalResult>();
  const relayout: string[] = [];
  for (const [name, t] of targets) {
    const result = applyLocal(t, read.get(name) ?? new Map(), MAX_SECTION_BYTES);
    if (result) local.set(name, result);
    else relayout.push(name);
  }
  if (previous && relayout.length > 0) {
    // The patch would change the layout: read the rest of those sections too.
    const rest = new Map(
      relayout.map((name) => {
        const { versions } = decodeManifest(previous.manifest[name] as string);
        const have = read.get(name);
        return [name, [...versions.keys()].filter((idx) => !have?.has(idx))];
      }),
    );
    for (const [name, shards] of await readSectionShards(deps, previous, rest, meter)) {
      const have = read.get(name) ?? new Map<number, string>();
      for (const [idx, data] of shards) have.set(idx, data);
      read.set(name, have);
    }
  }
  const old = new Map<string, OldSection>();
  for (const [name, shards] of read)
    if (!local.has(name) && previous) old.set(name, oldSection(previous, name, shards));
  if (report.kind === 'diff') meter?.countSections(local.size, toRead.size - local.size);

  const next = new Map<string, JsonObject | undefined>();
  if (report.kind === 'diff') {
    for (const [name, patch] of Object.entries(report.patches)) {
      if (patch && !local.has(name)) next.set(name, applyMergePatch(old.get(name)?.content ?? {}, patch));
    }
  } else {
    const failed = new Set(report.errors.map((e) => e.section));
    for (const name of SECTION_NAMES) {
      if (unchanged.has(name)) continue;
      const content = report.sections[name];
      const kept = old.get(name)?.content;
      if (content) next.set(name, content);
      else if (failed.has(name) && kept) next.set(name, kept);
      else if (kept) next.set(name, undefined);
    }
  }

  const gen = (previous?.gen ?? 0) + 1;
  const digest = reportDigest(report);
  const manifest: Record<string, string> = report.kind === 'diff' && previous ? { ...previous.manifest } : {};
  for (const name of unchanged) {
    const kept = previous?.manifest[name];
    if (kept !== undefined) manifest[name] = kept;
  }
  const shardItems: ShardItem[] = [];
  const sections: Record<string, SectionChange> = {};
  const writeShard = (name: string, idx: number, live: number | undefined, data: string): number => {
    // Whatever the epoch, the slot the current meta points at is off limits to this write.
    const slot = live === undefined ? 0 : 1 - slotOf(live);
    shardItems.push({ deviceId, sk: shardSk(name, idx, slot), data, g: gen, d: digest, writtenAt: now });
    return versionOf(gen, slot);
  };
  for (const [name, result] of local) {
    const summary = summarizeSectionChange(result.before, result.after, result.splitAt);
    if (summary) sections[name] = summary;
    const current = decodeManifest(previous?.manifest[name] as string);
    const shards = read.get(name);
    const versions = [...current.versions];
    for (const [idx, data] of result.shards) {
      const live = current.versions[idx];
      if (data === '') versions[idx] = undefined;
      else if (shards?.get(idx) !== data) versions[idx] = writeShard(name, idx, live, data);
    }
    const digest =
      current.digest === undefined
        ? {}
        : {
            digest: updateDigest(
              current.digest,
              [...result.shards].map(([idx, data]) => [idx, shards?.get(idx) ?? '', data] as const),
            ),
          };
    manifest[name] = encodeManifest({ n: current.n, versions, layout: result.layout, ...digest });
  }
  for (const [name, content] of next) {
    const summary = summarizeSectionChange(old.get(name)?.content, content);
    if (summary) sections[name] = summary;
    if (content === undefined) {
      // Slots of a removed section are left as they are: inert, and reused if it comes back.
      delete manifest[name];
      continue;
    }
    if (sectionBytes(content) > MAX_SECTION_BYTES) {
      throw new ProtocolError(`section ${name} would grow beyond ${MAX_SECTION_BYTES} bytes`);
    }
    const current =
      previous?.manifest[name] !== undefined ? decodeManifest(previous.manifest[name]) : undefined;
    const layout = sectionLayout(content);
    // The previous cut is reused whatever the epoch: a reinstalled or rebooted agent's full report
    // usually equals the stored state, and then keeping the shard count leaves every shard's bytes
    // as they are — only meta and the change item are written (the reboot-storm case). Reusing a
    // version the previous meta names is safe: writers never touch a slot the current meta names.
    const n = chooseShardCount(layout.bytes, current?.n);
    const oldShards = old.get(name)?.shards;
    const cut = buildShards(content, n);
    const versions = cut.map((data, idx) => {
      if (data === '') return undefined;
      if (current && current.n === n && oldShards?.[idx] === data) return current.versions[idx];
      return writeShard(name, idx, current?.versions[idx], data);
    });
    manifest[name] = encodeManifest({ n, versions, layout, digest: sectionDigest(cut) });
  }

  const startsRun = newEpoch || !previous;
  const epochStartedAt = startsRun ? incoming.receivedAt : previous.epochStartedAt;
  // From the report, not its arrival: every copy of a report writes the same change key.
  const epochAt = startsRun ? report.collectedAt : changeEpochAt(previous);
  const meta: MetaItem = {
    deviceId,
    sk: META_SK,
    epoch: report.epoch,
    epochTag: tag,
    epochStartedAt,
    epochAt,
    gen,
    seq: report.seq,
    collectedAt: report.collectedAt,
    receivedAt: incoming.receivedAt,
    agentVersion: report.agentVersion,
    manifest,
    updatedAt: now,
  };
  const change: ChangeItem = {
    deviceId,
    sk: changeSk(epochAt, tag, report.seq),
    epoch: report.epoch,
    seq: report.seq,
    kind: report.kind,
    ...(report.kind === 'diff' ? { baseSeq: report.baseSeq } : {}),
    receivedAt: incoming.receivedAt,
    collectedAt: report.collectedAt,
    agentVersion: report.agentVersion,
    digest,
    sections,
    ...(report.errors.length > 0 ? { collectorErrors: report.errors } : {}),
  };
  return { deviceId, previous, meta, shardItems, change };
}

/**
 * Sections of a full report that cut into exactly the stored shards — the shard count the store
 * would keep and the same digest — so they are kept as stored without being read: an agent's start
 * (every start sends a full report) then costs meta and the change item, not a read of every shard.
 * Reusing the versions the previous meta names is safe without reading them: the meta flip is
 * conditional on that meta, and no writer touches a slot the current meta names.
 */
function unchangedSections(report: FullReport, previous: MetaItem): Set<string> {
  const unchanged = new Set<string>();
  for (const [name, content] of Object.entries(report.sections)) {
    const encoded = previous.manifest[name];
    if (!content || encoded === undefined) continue;
    const stored = decodeManifest(encoded);
    if (stored.digest === undefined) continue;
    const n = chooseShardCount(sectionBytes(content), stored.n);
    if (n === stored.n && sectionDigest(buildShards(content, n)) === stored.digest) unchanged.add(name);
  }
  return unchanged;
}
