import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InventoryModule } from '#agent/inventory/module.ts';
import type { SectionCollector } from '#agent/inventory/sections.ts';
import { silentLogger } from '#agent/logger.ts';
import type { AgentContext } from '#agent/module.ts';
import { DiskOutbox, outboxLimits } from '#agent/outbox.ts';
import { decodeFramed } from '#protocol/encoding.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';
import { plain, replayReports } from '../support/inventory-replay.ts';

describe('inventory through a bounded outbox while offline', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-outbox-inventory-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a collapsed backlog with one full report at once, so the queue still rebuilds the latest inventory', async () => {
    const outbox = await DiskOutbox.open(
      join(dir, 'outbox'),
      outboxLimits({
        classes: { inventory: { maxMessages: 3, maxBytes: 1e6 } },
        replay: { messagesPerSec: 1e6, bytesPerSec: 1e9, jitterMaxMs: 0 },
      }),
      silentLogger,
    );
    const software: JsonObject = {};
    const collectors: SectionCollector[] = [
      { section: 'software', collect: async () => structuredClone(software) },
    ];
    // Offline, Agent.publish resolves once the message is on disk: so does this context.
    const context: AgentContext = {
      deviceId: 'dev-1',
      agentVersion: '1.0.0',
      dataDir: dir,
      logger: silentLogger,
      policy: () => PolicyDocumentSchema.parse({ version: 0 }),
      publish: async (topic, payload) => void (await outbox.put(topic, payload, 1)),
      onCommand: () => undefined,
      onConnected: () => undefined,
    };
    const module = new InventoryModule({ collectors, intervalMs: 3_600_000 });
    await module.start(context);

    for (let pass = 1; pass <= 10; pass++) {
      software[`pkg-${pass}`] = { version: `${pass}.0` };
      await module.runPass();
    }
    await module.stop();

    const reports: unknown[] = [];
    outbox.attach(async (m) => void reports.push(decodeFramed(m.payload)));
    expect(await outbox.flush(5_000)).toBe(true);
    const kinds = reports.map((r) => (r as { kind: string }).kind);
    // Bound 3: [full, d1, d2] + d3 collapses into [full]; again at d6 and d9; then d10.
    expect(outbox.status().inventoryCollapses).toBe(3);
    expect(kinds).toEqual(['full', 'diff']);
    const replayed = replayReports(reports);
    expect(replayed.gaps).toBe(0);
    expect(plain(replayed.sections)).toEqual({ software: plain(software) });
  });
});
