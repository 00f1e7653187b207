/**
 * `npm run faults:agent`: the long form of the outbox fault tests (test/faults/), with real sizes
 * and the default pacing, writing figures to bench/results/outbox-faults.json.
 *
 *   startup   DiskOutbox.open over 10,000 and 50,000 queued files (names carry class and size, so
 *             one readdir), and over 10,000 files named the old way (a stat and a read each):
 *             wall time and heap growth.
 *   day       a day offline at full size (3 sessions × 288 analyzer batches of 40 KB, 96 inventory
 *             passes) with the default bounds (`--days 2` to pass the analyzer bound), then the
 *             broker back: peak bytes on disk, batches dropped, inventory collapses, replay time,
 *             and the highest publishes/s and bytes/s the broker saw in any one-second window.
 *
 *   npm run faults:agent -- [--days 1] [--batch-kb 40] [--out bench/results/outbox-faults.json]
 *
 * Heap figures are exact only with a collector at hand: `node --expose-gc --import tsx ...`.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from '#agent/agent.ts';
import { InventoryModule } from '#agent/inventory/module.ts';
import type { SectionCollector } from '#agent/inventory/sections.ts';
import { silentLogger } from '#agent/logger.ts';
import { DiskOutbox, encodeOutboxFile, outboxLimits } from '#agent/outbox.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { startAgentFixture } from '../agent/tls-broker.ts';
import { waitFor } from '../support/wait.ts';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '1' },
    'batch-kb': { type: 'string', default: '40' },
    out: { type: 'string', default: 'bench/results/outbox-faults.json' },
  },
});
const DAYS = Number(values.days);
const BATCH_BYTES = Number(values['batch-kb']) * 1024;

async function startup(count: number, legacy: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-outbox-startup-'));
  try {
    const topic = topics.commandResult('bench-1');
    for (let i = 1; i <= count; i++) {
      const data = encodeOutboxFile({ topic, qos: 1, enqueuedAt: 0 }, Buffer.alloc(200, i % 256));
      const seq = String(i).padStart(16, '0');
      await writeFile(join(dir, legacy ? `${seq}.msg` : `${seq}.command-result.${data.length}.msg`), data);
    }
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const outbox = await DiskOutbox.open(
      dir,
      outboxLimits({ classes: { 'command-result': { maxMessages: 1e6, maxBytes: 1e10 } } }),
      silentLogger,
    );
    const openMs = Math.round(performance.now() - started);
    global.gc?.();
    const heapGrowthMiB = +((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1);
    const queued = outbox.stats().count;
    await outbox.close();
    return {
      files: count,
      naming: legacy ? 'seq only (stat + read each)' : 'seq.class.bytes',
      queued,
      openMs,
      heapGrowthMiB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function dayOffline() {
  const deviceId = 'bench-day-1';
  const { dir, broker, config } = await startAgentFixture(deviceId, 'fleetpulse-faults-agent-');
  const arrivals: Array<{ at: number; bytes: number }> = [];
  const heartbeats: Heartbeat[] = [];
  broker.aedes.on('publish', (packet, client) => {
    if (client === null) return;
    if (packet.topic === basicIngestTopic(topics.heartbeat(deviceId))) {
      heartbeats.push(HeartbeatSchema.parse(decodeJson(packet.payload as Buffer)));
    } else {
      arrivals.push({ at: Date.now(), bytes: (packet.payload as Buffer).length });
    }
  });
  const software: JsonObject = {};
  const collectors: SectionCollector[] = [
    { section: 'software', collect: async () => structuredClone(software) },
  ];
  const inventory = new InventoryModule({ collectors, intervalMs: 3_600_000 });
  const agent = new Agent({
    config,
    logger: silentLogger,
    host: simulatedHost(deviceId, 5),
    modules: [inventory],
    tuning: { connection: { backoff: { baseMs: 20, maxMs: 200, jitter: 0.5 } } },
  });
  const outboxDir = join(config.dataDir, 'outbox');
  const limits = outboxLimits();
  try {
    await broker.down();
    await agent.start();
    const batches = DAYS * 3 * 288;
    const passes = DAYS * 96;
    let peakBytes = 0;
    const pad = 'x'.repeat(BATCH_BYTES);
    const produceStart = performance.now();
    for (let n = 1; n <= batches; n++) {
      await agent.publish(
        topics.analyzer(deviceId, `sess-${n % 3}`),
        Buffer.from(JSON.stringify({ n, pad })),
      );
      if (n % (batches / passes) === 0) {
        const pass = n / (batches / passes);
        software[`pkg-${pass}`] = { version: `1.${pass}` };
        await inventory.runPass();
      }
      if (n % 48 === 0) {
        let bytes = 0;
        for (const name of await readdir(outboxDir))
          bytes += (await stat(join(outboxDir, name)).catch(() => ({ size: 0 }))).size;
        peakBytes = Math.max(peakBytes, bytes);
      }
    }
    const produceMs = Math.round(performance.now() - produceStart);
    const upAt = Date.now();
    await broker.up();
    await agent.waitConnected(30_000);
    const drained = await waitFor(
      async () => {
        await agent.sendHeartbeat();
        const last = heartbeats.at(-1)?.outbox;
        return last !== undefined && last.queued === 0 ? last : undefined;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 1_000, what: 'the outbox to drain' },
    );
    const firstReplayMs = (arrivals.find((a) => a.at >= upAt)?.at ?? upAt) - upAt;
    let peakPerSec = 0;
    let peakBytesPerSec = 0;
    for (let i = 0, j = 0, sum = 0; i < arrivals.length; i++) {
      sum += arrivals[i]?.bytes ?? 0;
      while ((arrivals[j]?.at ?? 0) <= (arrivals[i]?.at ?? 0) - 1_000) sum -= arrivals[j++]?.bytes ?? 0;
      peakPerSec = Math.max(peakPerSec, i - j + 1);
      peakBytesPerSec = Math.max(peakBytesPerSec, sum);
    }
    return {
      days: DAYS,
      analyzerBatches: batches,
      batchBytes: BATCH_BYTES,
      inventoryPasses: passes,
      produceMs,
      peakBytesOnDisk: peakBytes,
      diskBound: Object.values(limits.classes).reduce((sum, c) => sum + c.maxBytes, 0),
      analyzerBatchesDropped: drained.analyzerBatchesDropped,
      inventoryCollapses: drained.inventoryCollapses,
      messagesReplayed: arrivals.filter((a) => a.at >= upAt).length,
      jitterBeforeFirstReplayMs: firstReplayMs,
      replayMs: Date.now() - upAt,
      peakPublishesPerSec: peakPerSec,
      peakBytesPerSec,
      pacing: limits.replay,
    };
  } finally {
    await agent.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const result = {
  at: new Date().toISOString(),
  node: process.version,
  startup: [await startup(10_000, false), await startup(50_000, false), await startup(10_000, true)],
  day: await dayOffline(),
};
console.log(JSON.stringify(result, null, 2));
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
