import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { measureWholeItemRewrite } from '#bench/whole-item-cost.ts';
import { BadRequestError, NotFoundError, ProtocolError } from '#lambdas/commons/errors.ts';
import { ABANDONED_SLOT_MS, claimChange, ingestReport, writeShards } from '#lambdas/inventory/apply.ts';
import { CapacityMeter, type InventoryDeps } from '#lambdas/inventory/deps.ts';
import { archiveKey } from '#lambdas/inventory/keys.ts';
import { getMeta, type MetaItem, queryPrefix, readArchivedReport } from '#lambdas/inventory/persistence.ts';
import { planApply } from '#lambdas/inventory/plan.ts';
import { getInventory, listInventoryChanges } from '#lambdas/inventory/read-model.ts';
import { reconcileReportSequence } from '#lambdas/inventory/resync.ts';
import { decodeManifest, encodeManifest } from '#lambdas/inventory/shards.ts';
import { ResyncCommandSchema } from '#protocol/commands.ts';
import type { Report } from '#protocol/inventory.ts';
import { expectCanonicalCut } from './canonical.ts';
import { type DeviceState, diffReport, evolve, frame, fullReport, initialState, rng } from './fixtures.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
let deps: InventoryDeps;
let device = 0;
let deviceId: string;

beforeAll(async () => {
  h = await startHarness();
  deps = h.deps({ gapGraceMs: 60_000, resyncIntervalMs: 300_000 });
});
afterAll(async () => h.stop());
beforeEach(() => {
  deviceId = `dev-${++device}`;
  h.published.length = 0;
});

const send = (report: Report, receivedAt = h.clock.now) =>
  ingestReport(deps, { deviceId, report, raw: frame(report), receivedAt });

/** A device history: states[0] sent full at seq 1, then diffs 2..n. */
function history(n: number, seed = 7) {
  const r = rng(seed);
  const states: DeviceState[] = [initialState(seed)];
  for (let i = 1; i < n; i++) states.push(evolve(states[i - 1] as DeviceState, r));
  const reports: Report[] = states.map((s, i) =>
    i === 0
      ? fullReport(s, { epoch: 'e1', seq: 1 })
      : diffReport(states[i - 1] as DeviceState, s, { epoch: 'e1', seq: i + 1, baseSeq: i }),
  );
  return { states, reports };
}

const stored = async () => (await getInventory(deps, deviceId)).sections;
const resyncs = () =>
  h.published
    .filter((p) => p.topic === `cmd/fleet/${deviceId}`)
    .map((p) => ResyncCommandSchema.parse(JSON.parse(p.payload)));

describe('applying reports', () => {
  it('applies a full report then diffs exactly', async () => {
    const { states, reports } = history(6);
    for (const report of reports) expect((await send(report)).outcome).toBe('applied');
    expect(await stored()).toEqual(states[5]);
    await expectCanonicalCut(deps, deviceId);
    const view = await getInventory(deps, deviceId);
    expect(view).toMatchObject({ epoch: 'e1', seq: 6, collectedAt: reports[5]?.collectedAt });
  });

  it('acknowledges and drops duplicates', async () => {
    const { states, reports } = history(3);
    for (const report of reports) await send(report);
    expect((await send(reports[1] as Report)).outcome).toBe('duplicate');
    expect((await send(reports[2] as Report)).outcome).toBe('duplicate');
    expect((await send(reports[0] as Report)).outcome).toBe('duplicate');
    expect(await stored()).toEqual(states[2]);
    expect(resyncs()).toEqual([]);
  });

  it('copies of a first full report racing each other leave one change entry', async () => {
    const { states, reports } = history(1);
    // Each copy arrives at its own broker time, as at-least-once redeliveries and replays do.
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(reports[0] as Report, h.clock.now + i)),
    );
    expect(outcomes.filter((o) => o.outcome === 'applied')).toHaveLength(1);
    expect(await stored()).toEqual(states[0]);
    expect(await queryPrefix(deps, deviceId, 'change#')).toHaveLength(1);
    expect((await listInventoryChanges(deps, deviceId)).changes).toHaveLength(1);
  });

  it('refuses a report reusing an accepted sequence with other content, and keeps state and archive', async () => {
    const { states, reports } = history(3);
    for (const report of reports) await send(report);
    const first = reports[0] as Report;
    const conflicting = fullReport(initialState(99), { epoch: 'e1', seq: 1 });
    await expect(send(conflicting)).rejects.toThrow(/differs from the report already accepted/);
    const archived = await readArchivedReport(deps, archiveKey(deviceId, 'e1', 1));
    expect(Buffer.from(archived).equals(Buffer.from(frame(first)))).toBe(true);
    // Found through the change item too, when the archive does not have the sequence (any more).
    await h.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: archiveKey(deviceId, 'e1', 3) }));
    const diff = reports[2] as Report & { kind: 'diff' };
    const other = { ...diff, patches: { os: { name: 'not what was accepted' } } } as Report;
    await expect(send(other)).rejects.toThrow(/differs from the report already accepted/);
    // The true copy is still a duplicate, after later reports too.
    expect((await send(first)).outcome).toBe('duplicate');
    expect(await stored()).toEqual(states[2]);
    expect(await queryPrefix(deps, deviceId, 'change#')).toHaveLength(3);
  });

  it('holds a diff that arrives before its base and applies it when the base arrives', async () => {
    const { states, reports } = history(5);
    await send(reports[0] as Report);
    expect((await send(reports[3] as Report)).outcome).toBe('held');
    expect((await send(reports[2] as Report)).outcome).toBe('held');
    expect((await getInventory(deps, deviceId)).seq).toBe(1);
    const result = await send(reports[1] as Report);
    expect(result).toMatchObject({ outcome: 'applied', appliedSeqs: [2, 3, 4] });
    expect(await stored()).toEqual(states[3]);
    expect(await queryPrefix(deps, deviceId, 'pending#')).toEqual([]);
  });

  it('waits for a base being applied at the same time instead of holding the diff', async () => {
    // Arrange: the state at 2; diff 3 and its successor 4 arrive together, as replayed bursts do
    // when consecutive reports of one device land in batches that run at once.
    const { states, reports } = history(4);
    await send(reports[0] as Report);
    await send(reports[1] as Report);

    // Act: 4 starts first and finds its base (3) missing while 3 is being applied.
    const [fourth, third] = await Promise.all([send(reports[3] as Report), send(reports[2] as Report)]);

    // Assert
    expect(third.outcome).toBe('applied');
    expect(fourth).toMatchObject({ outcome: 'applied', appliedSeqs: [4] });
    expect(await queryPrefix(deps, deviceId, 'pending#')).toEqual([]);
    expect(await stored()).toEqual(states[3]);
  });

  it('holds diffs of an epoch whose full report has not arrived yet', async () => {
    const { states, reports } = history(3);
    await send(reports[2] as Report);
    await send(reports[1] as Report);
    await expect(getInventory(deps, deviceId)).rejects.toBeInstanceOf(NotFoundError);
    await send(reports[0] as Report);
    expect(await stored()).toEqual(states[2]);
  });

  it('never applies a diff over the wrong base and asks the device for a full report', async () => {
    const { states, reports } = history(4);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    const forked = diffReport(states[0] as DeviceState, states[3] as DeviceState, {
      epoch: 'e1',
      seq: 3,
      baseSeq: 1,
    });
    expect((await send(forked)).outcome).toBe('wrong-base');
    expect(await stored()).toEqual(states[1]);
    const [command, ...others] = resyncs();
    expect(others).toEqual([]);
    expect(command).toMatchObject({ type: 'resync', storedSeq: 2 });
    expect(command?.reason).toContain('applies on 1');
  });

  it('asks for a resync once when a lost base leaves a diff waiting past the grace period', async () => {
    const { states, reports } = history(5);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    // Report 3 is lost; 4 and 5 wait for it.
    await send(reports[3] as Report);
    await send(reports[4] as Report);
    expect(resyncs()).toEqual([]);
    expect(
      await reconcileReportSequence(deps, {
        deviceId,
        reportedSeq: 5,
        reportedEpoch: 'e1',
        now: h.clock.now,
      }),
    ).toMatchObject({ status: 'waiting', storedSeq: 2 });
    h.clock.now += 61_000;
    const result = await reconcileReportSequence(deps, {
      deviceId,
      reportedSeq: 5,
      reportedEpoch: 'e1',
      now: h.clock.now,
    });
    expect(result).toMatchObject({ status: 'resync-requested', storedSeq: 2 });
    expect(resyncs()).toEqual([
      expect.objectContaining({ type: 'resync', storedSeq: 2, commandId: expect.stringMatching(/^resync-/) }),
    ]);
    // Rate-limited: the next heartbeat does not publish again.
    const again = await reconcileReportSequence(deps, {
      deviceId,
      reportedSeq: 5,
      reportedEpoch: 'e1',
      now: h.clock.now,
    });
    expect(again.status).toBe('resync-rate-limited');
    expect(resyncs()).toHaveLength(1);
    // The device answers with a full report at a new sequence: state is exact, waiting diffs dropped.
    await send(fullReport(states[4] as DeviceState, { epoch: 'e1', seq: 6 }));
    expect(await getInventory(deps, deviceId)).toMatchObject({ seq: 6, sections: states[4] });
    expect(await queryPrefix(deps, deviceId, 'pending#')).toEqual([]);
    expect(
      await reconcileReportSequence(deps, { deviceId, reportedSeq: 6, reportedEpoch: 'e1' }),
    ).toMatchObject({
      status: 'in-sync',
    });
  });

  it('tolerates a heartbeat overtaking a report, and resyncs a device whose sequence went back', async () => {
    const { reports } = history(2);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    const beat = (reportedSeq: number, reportedEpoch?: string) =>
      reconcileReportSequence(deps, { deviceId, reportedSeq, reportedEpoch, now: h.clock.now });
    expect(await beat(0)).toMatchObject({ status: 'no-reports', storedSeq: 2 });
    expect(await beat(2, 'e1')).toMatchObject({ status: 'in-sync' });
    expect(await beat(1, 'e1')).toMatchObject({ status: 'waiting' });
    h.clock.now += 61_000;
    expect(await beat(1, 'e1')).toMatchObject({ status: 'resync-requested', storedSeq: 2 });
    expect(resyncs()).toEqual([
      expect.objectContaining({ storedSeq: 2, reason: expect.stringContaining('behind') }),
    ]);
  });

  it('makes a full report of a new epoch (reinstalled agent) the new base, and drops the old epoch late', async () => {
    const { states, reports } = history(3);
    for (const report of reports) await send(report, 1000);
    const reinstalled = initialState(99);
    expect((await send(fullReport(reinstalled, { epoch: 'e2', seq: 1 }), 5000)).outcome).toBe('applied');
    expect(await getInventory(deps, deviceId)).toMatchObject({ epoch: 'e2', seq: 1, sections: reinstalled });
    const late = diffReport(states[2] as DeviceState, initialState(5), { epoch: 'e1', seq: 4, baseSeq: 3 });
    expect((await send(late, 1500)).outcome).toBe('stale');
    expect(await stored()).toEqual(reinstalled);
  });

  it('keeps collector-failed sections at their last known value on a full report', async () => {
    const { states, reports } = history(1);
    await send(reports[0] as Report);
    const next = structuredClone(states[0] as DeviceState);
    delete next.security;
    const report = fullReport(next, { epoch: 'e1', seq: 2 });
    report.errors = [{ section: 'security', reason: 'timed out' }];
    await send(report);
    expect(await stored()).toEqual(states[0]);
  });

  it('refuses a different report claiming a sequence already accepted', async () => {
    const { states, reports } = history(3);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    const other = diffReport(states[0] as DeviceState, states[2] as DeviceState, {
      epoch: 'e1',
      seq: 2,
      baseSeq: 1,
    });
    // The race: both computed on base 1; the other one claims sequence 2 second.
    const current = await getMeta(deps, deviceId);
    const base = { ...current, seq: 1 } as NonNullable<typeof current>;
    const incoming = { report: other, receivedAt: h.clock.now, archiveKey: archiveKey(deviceId, 'e1', 2) };
    const plan = await planApply(deps, deviceId, incoming, base, false);
    await expect(claimChange(deps, plan)).rejects.toBeInstanceOf(ProtocolError);
    expect(await stored()).toEqual(states[1]);
  });
});

describe('crashes between writes', () => {
  it('a crash after writing shards but before the meta flip is repaired by the retry', async () => {
    const { states, reports } = history(3);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    const incoming = {
      report: reports[2] as Report,
      receivedAt: h.clock.now,
      archiveKey: archiveKey(deviceId, 'e1', 3),
    };
    const meter = new CapacityMeter();
    const plan = await planApply(deps, deviceId, incoming, await getMeta(deps, deviceId), false, meter);
    await writeShards(deps, plan, meter);
    await claimChange(deps, plan, meter);
    // ...crash: meta still points at seq 2, readers see a consistent seq-2 state.
    expect(await getInventory(deps, deviceId)).toMatchObject({ seq: 2, sections: states[1] });
    expect((await send(reports[2] as Report)).outcome).toBe('applied');
    expect(await getInventory(deps, deviceId)).toMatchObject({ seq: 3, sections: states[2] });
  });

  it('a slot written by an apply that died for good blocks nobody for long and never leaks into the state', async () => {
    const { states, reports } = history(3);
    await send(reports[0] as Report);
    await send(reports[1] as Report);
    const incoming = {
      report: reports[2] as Report,
      receivedAt: h.clock.now,
      archiveKey: archiveKey(deviceId, 'e1', 3),
    };
    const plan = await planApply(deps, deviceId, incoming, await getMeta(deps, deviceId), false);
    await claimChange(deps, plan);
    expect(await writeShards(deps, plan)).toBe(true);
    // ...the applier dies and its message is never retried. The device resyncs with other content.
    const resync = structuredClone(states[2] as DeviceState);
    (resync.os as Record<string, unknown>).uptimeSec = 424242;
    const full = fullReport(resync, { epoch: 'e1', seq: 4 });
    await expect(send(full)).rejects.toThrow(/kept moving/);
    expect(await getInventory(deps, deviceId)).toMatchObject({ seq: 2, sections: states[1] });
    h.clock.now += ABANDONED_SLOT_MS + 1;
    expect((await send(full)).outcome).toBe('applied');
    expect(await getInventory(deps, deviceId)).toMatchObject({ seq: 4, sections: resync });
    expect((await send(reports[2] as Report)).outcome).toBe('duplicate');
  });
});

describe('write cost', () => {
  it('a typical diff costs a small fraction of rewriting the whole state item', async () => {
    const { reports } = history(21, 11);
    const first = await send(reports[0] as Report);
    const diffUnits: number[] = [];
    for (const report of reports.slice(1)) diffUnits.push((await send(report)).writeUnits);
    diffUnits.sort((a, b) => a - b);
    const median = diffUnits[Math.floor(diffUnits.length / 2)] as number;
    const whole = await measureWholeItemRewrite(deps, deviceId);
    console.info(
      `inventory WCU: full report ${first.writeUnits}, diffs median ${median} (min ${diffUnits[0]}, max ${diffUnits.at(-1)}), ` +
        `whole-item rewrite ${whole.writeUnits} for ${whole.stateBytes} bytes of state`,
    );
    expect(whole.stateBytes).toBeGreaterThan(60_000);
    expect(median).toBeLessThanOrEqual(whole.writeUnits / 10);
  });
});

describe('reboot storm: a full report equal or close to the stored state', () => {
  /** deps whose DynamoDB client counts the items it is asked to write (puts and deletes). */
  function countingWrites(base: InventoryDeps): { deps: InventoryDeps; items: () => number } {
    let items = 0;
    const ddb = {
      send: (command: unknown) => {
        if (command instanceof PutCommand) items += 1;
        if (command instanceof BatchWriteCommand) {
          for (const requests of Object.values(command.input.RequestItems ?? {})) items += requests.length;
        }
        return base.ddb.send(command as PutCommand);
      },
    } as unknown as InventoryDeps['ddb'];
    return { deps: { ...base, ddb }, items: () => items };
  }

  const versionsOf = (meta: MetaItem | undefined) =>
    Object.entries(meta?.manifest ?? {}).map(([name, m]) => [name, decodeManifest(m).versions]);

  it.each([
    ['the same epoch (agent restart)', { epoch: 'e1', seq: 2 }],
    ['a new epoch (reinstalled agent)', { epoch: 'e2', seq: 1 }],
  ])('unchanged, from %s, writes only the change item and meta', async (_, next) => {
    const state = initialState(8);
    const first = await send(fullReport(state, { epoch: 'e1', seq: 1 }));
    const before = await getMeta(deps, deviceId);
    const counting = countingWrites(deps);

    const again = await ingestReport(counting.deps, {
      deviceId,
      report: fullReport(state, next),
      raw: frame(fullReport(state, next)),
      receivedAt: h.clock.now + 1,
    });

    expect(again.outcome).toBe('applied');
    expect(counting.items()).toBe(2);
    expect(again.writeUnits).toBeLessThanOrEqual(10);
    // Nor is any shard read: the stored digests show the content cuts into the stored shards.
    expect(again.readUnits).toBeLessThanOrEqual(3);
    expect(first.writeUnits).toBeGreaterThan(100);
    expect(versionsOf(await getMeta(deps, deviceId))).toEqual(versionsOf(before));
    expect(await stored()).toEqual(state);
    await expectCanonicalCut(deps, deviceId);
  });

  it('nearly unchanged (one package added, new epoch) rewrites only the shard holding it', async () => {
    const state = initialState(9);
    await send(fullReport(state, { epoch: 'e1', seq: 1 }));
    const stored1 = await getMeta(deps, deviceId);
    const next = structuredClone(state);
    const packages = (next.software as { packages: Record<string, unknown> }).packages;
    packages['pkg-newly-installed'] = { name: 'new', version: '1.0.0', publisher: 'Mozilla' };
    const counting = countingWrites(deps);

    const result = await ingestReport(counting.deps, {
      deviceId,
      report: fullReport(next, { epoch: 'e2', seq: 1 }),
      raw: frame(fullReport(next, { epoch: 'e2', seq: 1 })),
      receivedAt: h.clock.now + 1,
    });

    expect(result.outcome).toBe('applied');
    expect(counting.items()).toBe(3);
    expect(result.writeUnits).toBeLessThanOrEqual(10);
    // Only the changed section is read.
    const shardsOf = (name: string) =>
      decodeManifest(stored1?.manifest[name] as string).versions.filter((v) => v !== undefined).length;
    const all = Object.keys(stored1?.manifest ?? {}).reduce((sum, name) => sum + shardsOf(name), 0);
    expect(result.readUnits).toBeLessThanOrEqual(shardsOf('software') + 3);
    expect(result.readUnits).toBeLessThan(all);
    expect(await stored()).toEqual(next);
    await expectCanonicalCut(deps, deviceId);
  });
});

describe('read cost', () => {
  /** The state after one package of `software` changes version. */
  function upgradeOnePackage(state: DeviceState): DeviceState {
    const next = structuredClone(state);
    const packages = (next.software as { packages: Record<string, Record<string, unknown>> }).packages;
    const [name] = Object.keys(packages) as [string];
    (packages[name] as Record<string, unknown>).version = '99.1.2';
    return next;
  }

  it('a diff changing one package reads only the shard that holds it', async () => {
    const before = initialState(5);
    const after = upgradeOnePackage(before);
    await send(fullReport(before, { epoch: 'e1', seq: 1 }));
    const result = await send(diffReport(before, after, { epoch: 'e1', seq: 2, baseSeq: 1 }));
    expect(result.outcome).toBe('applied');
    expect(result.sectionReads).toEqual({ partial: 1, whole: 0 });
    // meta (read by the apply), one shard, the pending-diff query: the software section has 128 shards.
    expect(result.readUnits).toBeLessThanOrEqual(3);
    expect(result.writeUnits).toBeLessThanOrEqual(4);
    expect(await stored()).toEqual(after);
    await expectCanonicalCut(deps, deviceId);
    const [change] = (await listInventoryChanges(deps, deviceId, { limit: 1 })).changes;
    expect(change?.sections.software?.changed).toEqual([
      `packages/${Object.keys((before.software as { packages: object }).packages)[0]}`,
    ]);
  });

  it('reads and re-cuts the whole section when the diff changes its shard count, and stays exact', async () => {
    const states = [initialState(6)];
    const grown = structuredClone(states[0] as DeviceState);
    const packages = (grown.software as { packages: Record<string, unknown> }).packages;
    // ~60 KB more: past what keeps the software section's shard count.
    for (let i = 0; i < 500; i++) {
      packages[`pkg-grown-${i}`] = {
        name: `grown ${i}`,
        version: '1.0.0',
        location: `C:\\Apps\\${'x'.repeat(60)}`,
      };
    }
    states.push(grown, upgradeOnePackage(grown));
    await send(fullReport(states[0] as DeviceState, { epoch: 'e1', seq: 1 }));
    const nOf = async () => decodeManifest((await getMeta(deps, deviceId))?.manifest.software as string).n;
    const n1 = await nOf();

    const growth = await send(
      diffReport(states[0] as DeviceState, grown, { epoch: 'e1', seq: 2, baseSeq: 1 }),
    );
    expect(growth.sectionReads).toEqual({ partial: 0, whole: 1 });
    expect(await nOf()).toBeGreaterThan(n1);
    expect(growth.readUnits).toBeGreaterThan(n1 / 2);
    expect(await stored()).toEqual(grown);
    await expectCanonicalCut(deps, deviceId);

    // The re-cut recorded the new layout: the next small diff is local again.
    const next = await send(diffReport(grown, states[2] as DeviceState, { epoch: 'e1', seq: 3, baseSeq: 2 }));
    expect(next.sectionReads).toEqual({ partial: 1, whole: 0 });
    expect(next.readUnits).toBeLessThanOrEqual(3);
    expect(await stored()).toEqual(states[2]);
    await expectCanonicalCut(deps, deviceId);
  });

  it('takes the whole path for a section stored without a layout, and records one', async () => {
    const { states, reports } = history(4, 3);
    await send(reports[0] as Report);
    // As stored before layouts were recorded.
    const meta = (await getMeta(deps, deviceId)) as MetaItem;
    const manifest = Object.fromEntries(
      Object.entries(meta.manifest).map(([name, m]) => {
        const { n, versions } = decodeManifest(m);
        return [name, encodeManifest({ n, versions })];
      }),
    );
    await h.ddb.send(new PutCommand({ TableName: deps.table, Item: { ...meta, manifest } }));
    const first = await send(reports[1] as Report);
    expect(first.sectionReads.partial).toBe(0);
    expect(first.sectionReads.whole).toBeGreaterThan(0);
    const second = await send(reports[2] as Report);
    expect(second.sectionReads.whole).toBe(0);
    await send(reports[3] as Report);
    expect(await stored()).toEqual(states[3]);
    await expectCanonicalCut(deps, deviceId);
  });
});

describe('API', () => {
  it('returns selected sections with the epoch and sequence they reflect', async () => {
    const { states, reports } = history(2);
    for (const report of reports) await send(report);
    const view = await getInventory(deps, deviceId, 'software,os');
    expect(view).toMatchObject({ deviceId, epoch: 'e1', seq: 2, collectedAt: reports[1]?.collectedAt });
    expect(view.sections).toEqual({ software: states[1]?.software, os: states[1]?.os });
    await expect(getInventory(deps, deviceId, 'software,bogus')).rejects.toBeInstanceOf(BadRequestError);
    await expect(getInventory(deps, 'bad id!')).rejects.toBeInstanceOf(BadRequestError);
    await expect(getInventory(deps, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists changes newest first, paginated, with the keys each report touched', async () => {
    const { reports } = history(6);
    for (const report of reports) await send(report);
    const page1 = await listInventoryChanges(deps, deviceId, { limit: 4 });
    expect(page1.changes.map((c) => c.seq)).toEqual([6, 5, 4, 3]);
    expect(page1.nextCursor).toBeDefined();
    const page2 = await listInventoryChanges(deps, deviceId, { limit: '4', cursor: page1.nextCursor });
    expect(page2.changes.map((c) => c.seq)).toEqual([2, 1]);
    expect(page2.nextCursor).toBeUndefined();
    const [latest] = page1.changes;
    expect(latest).toMatchObject({ kind: 'diff', baseSeq: 5, receivedAt: h.clock.now });
    expect(latest?.sections.os).toEqual({
      added: [],
      removed: [],
      changed: ['uptimeSec'],
      counts: { added: 0, removed: 0, changed: 1 },
    });
    expect(page2.changes[1]).toMatchObject({
      kind: 'full',
      archiveKey: `reports/device=${deviceId}/epoch=e1/seq=000000000001.fpr`,
    });
    await expect(listInventoryChanges(deps, deviceId, { cursor: 'garbage' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(listInventoryChanges(deps, deviceId, { limit: 0 })).rejects.toBeInstanceOf(BadRequestError);
    await expect(listInventoryChanges(deps, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
  });
});
