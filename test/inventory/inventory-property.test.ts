import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestReport } from '#lambdas/inventory/apply.ts';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import { getInventory } from '#lambdas/inventory/read-model.ts';
import { reconcileReportSequence } from '#lambdas/inventory/resync.ts';
import { ResyncCommandSchema } from '#protocol/commands.ts';
import { type JsonObject, type Report, SECTION_NAMES } from '#protocol/inventory.ts';
import { topics } from '#protocol/topics.ts';
import { expectCanonicalCut } from './canonical.ts';
import { type DeviceState, diffReport, frame, fullReport, rng } from './fixtures.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
let deps: InventoryDeps;
const GRACE_MS = 60_000;

beforeAll(async () => {
  h = await startHarness();
  // Short looks for a missing base: the path is taken, without 0.4 s of real time per held diff.
  deps = h.deps({ gapGraceMs: GRACE_MS, resyncIntervalMs: 5 * 60_000, baseWaitPausesMs: [1, 2] });
});
afterAll(async () => h.stop());

/** A random small device state that changes a little each step; sections never disappear. */
function randomState(r: () => number): DeviceState {
  const state: DeviceState = {};
  for (const name of SECTION_NAMES) if (r() < 0.6) state[name] = randomSection(r);
  return state;
}

function randomSection(r: () => number): JsonObject {
  const section: JsonObject = {};
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) section[`k${Math.floor(r() * 40)}`] = randomValue(r, 2);
  return section;
}

function randomValue(r: () => number, depth: number): unknown {
  const roll = r();
  if (roll < 0.3) return Math.floor(r() * 1000);
  if (roll < 0.5) return `v${Math.floor(r() * 1e6)}`.repeat(1 + Math.floor(r() * 20));
  if (roll < 0.6) return [Math.floor(r() * 10), 'x'];
  if (depth === 0) return r() < 0.5;
  const obj: JsonObject = {};
  for (let i = Math.floor(r() * 6); i > 0; i--) obj[`f${Math.floor(r() * 10)}`] = randomValue(r, depth - 1);
  return obj;
}

function mutate(state: DeviceState, r: () => number): DeviceState {
  const next = structuredClone(state);
  for (let changes = 1 + Math.floor(r() * 3); changes > 0; changes--) {
    const name = SECTION_NAMES[Math.floor(r() * SECTION_NAMES.length)] as (typeof SECTION_NAMES)[number];
    // A diff cannot say "this section now exists, empty": a new section arrives with a key.
    const isNew = state[name] === undefined;
    const section = next[name] ?? {};
    next[name] = section;
    const keys = Object.keys(section);
    const key =
      r() < 0.4 || keys.length === 0
        ? `k${Math.floor(r() * 40)}`
        : (keys[Math.floor(r() * keys.length)] as string);
    if (r() < 0.25 && !isNew) delete section[key];
    else section[key] = randomValue(r, 2);
  }
  for (const name of SECTION_NAMES) {
    if (state[name] === undefined && Object.keys(next[name] ?? { x: 1 }).length === 0) delete next[name];
  }
  return next;
}

/** The agent: publishes full reports on start/resync/reinstall and diffs otherwise. */
class SimulatedDevice {
  epoch = 'e1';
  seq = 0;
  state: DeviceState;
  constructor(
    private readonly r: () => number,
    readonly publish: (report: Report) => void,
  ) {
    this.state = randomState(r);
  }
  sendFull(): void {
    this.seq += 1;
    this.publish(fullReport(this.state, { epoch: this.epoch, seq: this.seq }));
  }
  step(kind: 'diff' | 'restart' | 'reinstall'): void {
    const before = this.state;
    this.state = mutate(before, this.r);
    if (kind === 'reinstall') {
      this.epoch = `e${Number(this.epoch.slice(1)) + 1}`;
      this.seq = 0;
    }
    if (kind === 'diff') {
      this.seq += 1;
      this.publish(
        diffReport(before, this.state, { epoch: this.epoch, seq: this.seq, baseSeq: this.seq - 1 }),
      );
    } else {
      this.sendFull();
    }
  }
}

let runs = 0;
let resyncsAnswered = 0;
/** Sections applied by diffs from only the shards they reach, and read whole (layout change, new section). */
const diffSectionReads = { partial: 0, whole: 0 };

describe('inventory under at-least-once, unordered, lossy delivery', () => {
  it('converges to exactly the device state, through resyncs when reports are lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(fc.constantFrom('diff', 'diff', 'diff', 'diff', 'restart', 'reinstall'), {
          minLength: 1,
          maxLength: 9,
        }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (seed, steps, copyRolls, orderKeys, parallelism) => {
          const deviceId = `prop-${++runs}`;
          const sent: { report: Report; receivedAt: number }[] = [];
          const device = new SimulatedDevice(rng(seed), (report) => {
            h.clock.now += 1000;
            sent.push({ report, receivedAt: h.clock.now });
          });
          device.sendFull();
          for (const kind of steps) device.step(kind as 'diff' | 'restart' | 'reinstall');

          // Broker → SQS: each report lost (10%), delivered once, or twice; in any order.
          const deliveries = sent.flatMap((s, i) => {
            const roll = copyRolls[i % copyRolls.length] ?? 5;
            const copies = roll === 0 ? 0 : roll >= 8 ? 2 : 1;
            return Array.from({ length: copies }, (_, c) => ({
              ...s,
              key: (orderKeys[(i + c) % orderKeys.length] ?? 0) + c,
            }));
          });
          deliveries.sort((a, b) => a.key - b.key);
          // Like SQS: a record that failed transiently is delivered again.
          const deliver = async (report: Report, receivedAt: number) => {
            for (let attempt = 0; ; attempt++) {
              try {
                const result = await ingestReport(deps, { deviceId, report, raw: frame(report), receivedAt });
                // Counted for diffs only, including held diffs this call applied.
                diffSectionReads.partial += result.sectionReads.partial;
                diffSectionReads.whole += result.sectionReads.whole;
                return result;
              } catch (err) {
                if (attempt >= 5) throw err;
              }
            }
          };
          // Several Lambda invocations may handle the same device at once.
          for (let i = 0; i < deliveries.length; i += parallelism) {
            await Promise.all(
              deliveries.slice(i, i + parallelism).map((d) => deliver(d.report, d.receivedAt)),
            );
          }

          // Heartbeats until the cloud has caught up; the device answers every resync with a full report.
          let answered = 0;
          for (let round = 0; round < 6; round++) {
            const result = await reconcileReportSequence(deps, {
              deviceId,
              reportedSeq: device.seq,
              reportedEpoch: device.epoch,
              now: h.clock.now,
            });
            if (result.status === 'in-sync') break;
            const commands = h.published
              .filter((p) => p.topic === topics.command(deviceId))
              .map((p) => ResyncCommandSchema.parse(JSON.parse(p.payload)));
            if (commands.length > answered) {
              answered = commands.length;
              resyncsAnswered += 1;
              device.sendFull();
              const last = sent.at(-1) as { report: Report; receivedAt: number };
              await deliver(last.report, last.receivedAt);
            }
            h.clock.now += 10 * 60_000;
          }

          const view = await getInventory(deps, deviceId);
          expect({ epoch: view.epoch, seq: view.seq }).toEqual({ epoch: device.epoch, seq: device.seq });
          expect(view.sections).toEqual(device.state);
          // Whichever path wrote them, the shards are exactly a fresh cut of the state.
          await expectCanonicalCut(deps, deviceId);
        },
      ),
      { numRuns: 60 },
    );
    // Not vacuous: losses did force the resync protocol in some runs.
    expect(resyncsAnswered).toBeGreaterThan(0);
    console.info(`diff section reads: ${JSON.stringify(diffSectionReads)}`);
    // Diffs took both paths: shards they reach only, and the whole section when its layout changed.
    expect(diffSectionReads.partial).toBeGreaterThan(20);
    expect(diffSectionReads.whole).toBeGreaterThan(5);
    // 60 runs of real emulator round trips: ~10 s on a quiet machine, three times that on a busy one.
  }, 120_000);
});
