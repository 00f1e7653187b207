/**
 * A day-long outage compressed in time: the broker is down while the agent produces a day's worth
 * of data (3 analyzer sessions × 288 batches, 96 inventory passes each changing the software
 * section), at full speed. The outbox must stay within its bounds on disk, drop the oldest
 * analyzer batches and count them, collapse the inventory backlog; then with the broker back,
 * the inventory arrives whole (the last full report and the diffs after it rebuild the agent's
 * inventory exactly) and the heartbeat reports what was dropped.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import { InventoryModule } from '#agent/inventory/module.ts';
import type { SectionCollector } from '#agent/inventory/sections.ts';
import { silentLogger } from '#agent/logger.ts';
import { outboxLimits } from '#agent/outbox.ts';
import { decodeFramed, decodeJson } from '#protocol/encoding.ts';
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { startAgentFixture } from '../agent/tls-broker.ts';
import { recordStream } from '../support/broker-stream.ts';
import { plain, replayReports } from '../support/inventory-replay.ts';
import { waitFor } from '../support/wait.ts';

const SESSIONS = 3;
const BATCHES = SESSIONS * 288; // one per session every 5 minutes
const PASSES = 96; // inventory every 15 minutes
const BATCH_BYTES = 8 * 1024;

/** Bytes of the queued message files, in total and per class (the class is in the file name). */
async function measure(outboxDir: string): Promise<{ total: number; analyzer: number }> {
  let total = 0;
  let analyzer = 0;
  for (const name of await readdir(outboxDir)) {
    const { size } = await stat(join(outboxDir, name)).catch(() => ({ size: 0 }));
    total += size;
    if (name.includes('.analyzer.')) analyzer += size;
  }
  return { total, analyzer };
}

describe('a day-long outage, compressed', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('stays within its disk bound, counts dropped analyzer batches, and delivers the inventory whole', async () => {
    const deviceId = 'fault-day-1';
    const { dir, broker, config } = await startAgentFixture(deviceId, 'fleetpulse-fault-day-');
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => broker.close(),
    );
    const counted = recordStream(broker.aedes);
    const heartbeats: Heartbeat[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client !== null && packet.topic === basicIngestTopic(topics.heartbeat(deviceId)))
        heartbeats.push(HeartbeatSchema.parse(decodeJson(packet.payload as Buffer)));
    });
    const software: JsonObject = {};
    const collectors: SectionCollector[] = [
      { section: 'os', collect: async () => ({ distro: 'Debian', release: '12' }) },
      { section: 'software', collect: async () => structuredClone(software) },
    ];
    const inventory = new InventoryModule({ collectors, intervalMs: 3_600_000 });
    const tuning = {
      connection: { backoff: { baseMs: 20, maxMs: 200, jitter: 0.5 }, connectTimeoutMs: 2_000 },
      // Default rates (20 messages/s, 256 KiB/s); a shorter jitter and a smaller analyzer share.
      outbox: {
        classes: { analyzer: { maxMessages: 2_000, maxBytes: 2 * 1024 * 1024 } },
        replay: { jitterMaxMs: 1_000 },
      },
    };
    const limits = outboxLimits(tuning.outbox);
    const diskBound = Object.values(limits.classes).reduce((sum, c) => sum + c.maxBytes, 0);
    const agent = new Agent({
      config,
      logger: silentLogger,
      host: simulatedHost(deviceId, 4),
      modules: [inventory],
      tuning,
    });
    cleanups.push(() => agent.stop());
    const outboxDir = join(config.dataDir, 'outbox');

    // Act 1: the day, offline.
    await broker.down();
    await agent.start();
    let peak = { total: 0, analyzer: 0 };
    const pad = 'x'.repeat(BATCH_BYTES);
    for (let n = 1; n <= BATCHES; n++) {
      await agent.publish(
        topics.analyzer(deviceId, `sess-${n % SESSIONS}`),
        Buffer.from(JSON.stringify({ n, pad })),
      );
      if (n % (BATCHES / PASSES) === 0) {
        const pass = n / (BATCHES / PASSES);
        software[`pkg-${pass}`] = { version: `1.${pass}` };
        delete software[`pkg-${pass - 3}`];
        await inventory.runPass();
      }
      if (n % 48 === 0) {
        const now = await measure(outboxDir);
        peak = { total: Math.max(peak.total, now.total), analyzer: Math.max(peak.analyzer, now.analyzer) };
      }
    }
    expect(peak.analyzer).toBeLessThanOrEqual(limits.classes.analyzer.maxBytes);
    expect(peak.total).toBeLessThanOrEqual(diskBound);

    // Act 2: the broker is back.
    await broker.up();
    await agent.waitConnected(10_000);
    const drained = await waitFor(
      async () => {
        await agent.sendHeartbeat();
        const last = heartbeats.at(-1)?.outbox;
        return last !== undefined && last.queued === 0 ? last : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the outbox to drain after the outage' },
    );

    // The newest batches arrived, in order; the oldest were dropped, and the heartbeat says how many.
    const analyzer = counted.of('analyzer');
    const kept = analyzer.distinct.size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(BATCHES);
    expect([...analyzer.distinct].sort((a, b) => a - b)).toEqual(
      Array.from({ length: kept }, (_, i) => BATCHES - kept + 1 + i),
    );
    expect(drained.analyzerBatchesDropped).toBe(BATCHES - kept);
    // The backlog collapsed, and what arrived rebuilds the agent's inventory exactly.
    expect(drained.inventoryCollapses).toBeGreaterThanOrEqual(1);
    const reports = counted.payloads('inventory').map((p) => decodeFramed(p));
    expect(reports.length).toBeLessThanOrEqual(limits.classes.inventory.maxMessages + 1);
    const rebuilt = replayReports(reports);
    expect(rebuilt.gaps).toBe(0);
    expect(plain(rebuilt.sections)).toEqual(plain({ os: { distro: 'Debian', release: '12' }, software }));
    console.info(
      `day outage: ${BATCHES} analyzer batches, ${kept} kept, ${drained.analyzerBatchesDropped} dropped; ` +
        `${PASSES} inventory passes, ${drained.inventoryCollapses} collapses, ${reports.length} reports sent; ` +
        `peak on disk ${peak.total} B (bound ${diskBound} B)`,
    );
  }, 120_000);
});
