/**
 * Inventory through the real local cloud: random device state evolutions, their reports delivered
 * over the mTLS broker with random duplication, reordering and loss, through the topic rule, the SQS
 * queue and the report handler into dynalite; the device answers resync requests like the agent does.
 * After the protocol settles, the state served by the API equals the device's state, every time.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, MemorySequenceStore, type ReportBaseline } from '#agent/inventory/index.ts';
import { CommandSchema } from '#protocol/commands.ts';
import { encodeFramed, encodeJson } from '#protocol/encoding.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { topics } from '#protocol/topics.ts';
import { createRng, SimulatedHost } from '#simulator/inventory/generated-host.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const AGENT_VERSION = '0.0.0-test';
let t: TestCloud;
let run = 0;
/** How each run settled: from diffs alone, or with at least one resync (full report). */
const settledBy = { diffsOnly: 0, resync: 0 };

beforeAll(async () => {
  // A lag is a gap at once here, so settling takes seconds, not the production grace period.
  process.env.INVENTORY_GAP_GRACE_SEC = '1';
  process.env.INVENTORY_RESYNC_INTERVAL_SEC = '1';
  t = await startTestCloud();
});

afterAll(async () => {
  await t?.cleanup();
});

/** A device as the agent behaves: sequence store, baseline, resync answered with a full report. */
class TestDevice {
  private baseline: ReportBaseline | undefined;
  readonly store = new MemorySequenceStore();
  private readonly answered = new Set<string>();
  resyncs = 0;
  constructor(
    readonly id: string,
    readonly host: SimulatedHost,
    client: MqttClient,
  ) {
    client.on('message', (_topic, payload) => {
      const command = CommandSchema.safeParse(JSON.parse(payload.toString('utf8')));
      if (!command.success || command.data.type !== 'resync' || this.answered.has(command.data.commandId))
        return;
      this.answered.add(command.data.commandId);
      this.resyncs += 1;
      this.store.advancePast(command.data.storedSeq ?? 0);
      const frame = this.report(true);
      if (frame) void client.publishAsync(topics.report(id), frame, { qos: 1 });
    });
  }

  /** The next report as framed bytes, or undefined when nothing changed. */
  report(forceFull = false): Buffer | undefined {
    const built = buildReport(
      this.baseline,
      { sections: this.host.sections(), errors: [], collectedAt: Date.now() },
      this.store,
      { agentVersion: AGENT_VERSION, forceFull },
    );
    if (!built) return undefined;
    this.baseline = built.baseline;
    return encodeFramed(built.report);
  }

  heartbeat(): Buffer {
    const hb: Heartbeat = {
      schema: 1,
      agentVersion: AGENT_VERSION,
      uptimeSec: 1,
      reportSeq: this.store.current,
      reportEpoch: this.store.epoch,
      policyVersion: 0,
      sessions: [],
      connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: null },
      sentAt: Date.now(),
    };
    return encodeJson(hb);
  }
}

async function storedInventory(
  deviceId: string,
): Promise<{ seq: number; epoch: string; sections: unknown } | undefined> {
  const res = await fetch(`${t.endpoints.apiUrl}/devices/${deviceId}/inventory`, {
    headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
  });
  return res.status === 200
    ? ((await res.json()) as { seq: number; epoch: string; sections: unknown })
    : undefined;
}

/** Waits until the report queue holds nothing visible or in flight: every delivery was processed. */
async function reportsDrained(): Promise<void> {
  await waitFor(
    async () => {
      const { Attributes: a } = await t.aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: t.cloud.queues.reports.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return a?.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'report queue drained' },
  );
}

describe('inventory through the local cloud', () => {
  it('stores exactly the device state despite duplication, reordering and loss', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 6 }),
        // Per report: how many copies arrive (0 = lost) and a sort key for the arrival order.
        fc.array(
          fc.record({
            copies: fc.constantFrom(0, 1, 1, 1, 2),
            order: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          {
            minLength: 8,
            maxLength: 8,
          },
        ),
        async (seed, steps, delivery) => {
          const deviceId = `prop-${++run}`;
          const client = await t.deviceClient(deviceId);
          await client.subscribeAsync(topics.command(deviceId), { qos: 1 });
          const device = new TestDevice(deviceId, new SimulatedHost(seed), client);
          const churn = createRng(seed ^ 0x5eed);
          const frames: Buffer[] = [];
          const first = device.report();
          if (first) frames.push(first);
          for (let i = 0; i < steps; i++) {
            device.host.step(churn);
            const frame = device.report();
            if (frame) frames.push(frame);
          }

          const arrivals = frames.flatMap((frame, i) => {
            const plan = delivery[i % delivery.length] ?? { copies: 1, order: 0 };
            return Array.from({ length: plan.copies }, (_, copy) => ({
              frame,
              order: plan.order + copy * 0.37,
            }));
          });
          arrivals.sort((a, b) => a.order - b.order);
          for (const { frame } of arrivals)
            await client.publishAsync(topics.report(deviceId), frame, { qos: 1 });

          // Only once every delivery was processed do heartbeats tell the cloud where the device is:
          // a lag left then is a real gap (lost report), recovered by resync.
          await reportsDrained();
          const stored = await waitFor(
            async () => {
              await client.publishAsync(topics.heartbeat(deviceId), device.heartbeat(), { qos: 1 });
              const inv = await storedInventory(deviceId);
              return inv && inv.epoch === device.store.epoch && inv.seq === device.store.current
                ? inv
                : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 400, what: `${deviceId} in sync` },
          );
          expect(stored.sections).toEqual(device.host.sections());
          settledBy[device.resyncs === 0 ? 'diffsOnly' : 'resync'] += 1;
          client.end(true);
        },
      ),
      { numRuns: 12, seed: 20261121 },
    );
    // The runs exercised both paths: state built from diffs alone, and state recovered by resync.
    expect(settledBy.diffsOnly).toBeGreaterThan(0);
    expect(settledBy.resync).toBeGreaterThan(0);
  }, 300_000);
});
