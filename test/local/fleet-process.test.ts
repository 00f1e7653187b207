import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fleetHeartbeatIntervalSec,
  fleetInventoryIntervalMs,
  simulatedAnalyzerIntervals,
  startFleetProcess,
} from '#local/fleet.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the simulated fleet in its own process', () => {
  let t: TestCloud;

  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('starts agents that connect to the cloud as themselves, and ends the process on stop', async () => {
    const fleet = await startFleetProcess({
      count: 3,
      mqttUrl: t.endpoints.mqttUrl,
      caCertPath: t.endpoints.caCertPath,
      caDir: join(t.dataDir, 'ca'),
      identityDir: join(t.dataDir, 'fleet'),
      inventoryIntervalMs: fleetInventoryIntervalMs(3),
      heartbeatIntervalSec: fleetHeartbeatIntervalSec(3),
      analyzer: simulatedAnalyzerIntervals(3),
      log: 'silent',
    });

    try {
      expect(fleet.deviceIds).toEqual(['sim-0001', 'sim-0002', 'sim-0003']);
      expect(fleet.online).toBe(3);
      expect(alive(fleet.pid)).toBe(true);
      const listed = await waitFor(
        async () => {
          const res = await fetch(`${t.endpoints.apiUrl}/devices`, {
            headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
          });
          const body = (await res.json()) as { items: Array<{ deviceId: string; status: string }> };
          const online = body.items.filter((d) => d.status === 'online').map((d) => d.deviceId);
          return online.length === 3 ? online.sort() : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'three simulated devices online' },
      );
      expect(listed).toEqual(fleet.deviceIds);
    } finally {
      await fleet.stop();
    }

    expect(alive(fleet.pid)).toBe(false);
  });

  it('collects inventory and heartbeats more slowly as the fleet grows, within the offline grace', () => {
    expect(fleetInventoryIntervalMs(5)).toBe(30_000);
    expect(fleetInventoryIntervalMs(2000)).toBe(200_000);
    expect(fleetHeartbeatIntervalSec(5)).toBe(60);
    expect(fleetHeartbeatIntervalSec(2000)).toBe(118);
  });

  it('gives small simulated fleets 5 s samples and 60 s batches, and slows the batches of large ones up to the policy default', () => {
    expect(simulatedAnalyzerIntervals(5)).toEqual({ sampleIntervalSec: 5, uploadIntervalSec: 60 });
    expect(simulatedAnalyzerIntervals(500)).toEqual({ sampleIntervalSec: 5, uploadIntervalSec: 60 });
    expect(simulatedAnalyzerIntervals(2000)).toEqual({ sampleIntervalSec: 5, uploadIntervalSec: 220 });
    expect(simulatedAnalyzerIntervals(100_000).uploadIntervalSec).toBe(300);
  });
});
