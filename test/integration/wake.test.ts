/**
 * The `wake` command type through the local cloud with simulated devices: simulated bridges send
 * nothing, and a wake-relay naming a powered-off simulated device powers it on (simulator/wake.ts).
 * The real packet on a real segment is wake-e2e-netns.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProjection } from '#lambdas/targets/network-index.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { simulatedInventoryModule } from '#simulator/inventory/module.ts';
import { tables } from '#wiring/fleet.ts';
import { callApi, commandDetail, waitForOutcome } from '../support/commands-api.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const SHARED = { cidr: '10.50.1.0/24', gateway: '10.50.1.1' };
const LONELY = { cidr: '10.50.9.0/24', gateway: '10.50.9.1' };

// sim-0001..0003 are on; the last three are held powered off (their inventory is in first).
// sim-0003 is stopped by the test: off, but not a powered-off device a relay powers on.
const subnetOf = (deviceId: string) => (deviceId === 'sim-0006' ? LONELY : SHARED);

let t: TestCloud;
let fleet: SimulatedFleet;
const indexDeps = () => ({
  ddb: t.aws.ddb,
  devicesTable: tables.devices.localName,
  deviceIndexTable: tables.deviceIndex.localName,
});

async function deviceStatus(deviceId: string): Promise<string | undefined> {
  const res = await callApi(t, 'GET', `/devices/${deviceId}`);
  return res.status === 200 ? res.body.status : undefined;
}

async function wake(deviceIds: string[], params: Record<string, unknown> = {}): Promise<string> {
  const res = await callApi(t, 'POST', '/commands', { type: 'wake', target: { deviceIds }, params });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.commandId as string;
}

beforeAll(async () => {
  t = await startTestCloud();
  fleet = await startSimulatedFleet({
    count: 6,
    poweredOff: 3,
    ...fleetConnection(t),
    seed: 5,
    modules: (deviceId, seed) => [
      simulatedInventoryModule(deviceId, seed, { intervalMs: 3_600_000, subnet: subnetOf(deviceId) }),
    ],
  });
  await fleet.agents[2]?.stop();
  for (const [deviceId, status] of [
    ['sim-0001', 'online'],
    ['sim-0002', 'online'],
    ['sim-0003', 'offline'],
    ['sim-0004', 'offline'],
    ['sim-0005', 'offline'],
    ['sim-0006', 'offline'],
  ] as const) {
    await waitFor(async () => (await deviceStatus(deviceId)) === status, {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `${deviceId} ${status}`,
    });
  }
  // The bridge search reads the device index, which the inventory reports fill.
  for (const deviceId of fleet.deviceIds) {
    await waitFor(
      async () => (await getProjection(indexDeps(), deviceId))?.interfaces.some((i) => i.ipv4.length > 0),
      { timeoutMs: 20_000, intervalMs: 200, what: `${deviceId}'s network indexed` },
    );
  }
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

describe('wake', () => {
  it('no bridge: failed, naming the subnet, nothing sent', async () => {
    const commandId = await wake(['sim-0006']);
    const outcome = await waitForOutcome(t, commandId, 'sim-0006', ['failed']);
    expect(outcome.reason).toBe('no bridge: no online agent in 10.50.9.0/24 and the target has no site');
    expect(fleet.poweredOff()).toContain('sim-0006');
  });

  it('a target already online: succeeded with that reason', async () => {
    const commandId = await wake(['sim-0001']);
    const outcome = await waitForOutcome(t, commandId, 'sim-0001', ['succeeded', 'failed']);
    expect(outcome).toMatchObject({ state: 'succeeded', reason: 'already online: nothing sent' });
  });

  it('two targets in one subnet share one relay; each succeeds when it connects', async () => {
    const commandId = await wake(['sim-0004', 'sim-0005']);
    const [first, second] = await Promise.all(
      ['sim-0004', 'sim-0005'].map((id) => waitForOutcome(t, commandId, id, ['succeeded', 'failed'], 30_000)),
    );
    expect(first?.state).toBe('succeeded');
    expect(second?.state).toBe('succeeded');
    const { devices } = await commandDetail(t, commandId);
    const sentTo = devices.map((d) => d.history.find((h) => h.state === 'dispatched')?.reason);
    // The freshest two online agents of the subnet, the same for both targets.
    expect(sentTo[0]).toMatch(/^sent to sim-000[12], sim-000[12]$/);
    expect(sentTo[1]).toBe(sentTo[0]);
    // The bridge ran one relay naming both targets (an agent runs a command id once).
    const acknowledged = devices.flatMap((d) => d.history.filter((h) => h.state === 'acknowledged'));
    expect(acknowledged.length).toBeGreaterThan(0);
    const bridged = devices.find((d) => d.detail?.sent !== undefined);
    const sent = (bridged?.detail?.sent ?? []) as Array<{ deviceId: string; bytes: number }>;
    expect(new Set(sent.map((s) => s.deviceId))).toEqual(new Set(['sim-0004', 'sim-0005']));
    expect(sent.every((s) => s.bytes === 102)).toBe(true);
    expect(fleet.poweredOff()).toEqual(['sim-0006']);
  }, 40_000);

  it('not confirmed: failed with the timeout in minutes when the target never connects', async () => {
    const commandId = await wake(['sim-0003'], { timeoutSec: 30 });
    const acknowledged = await waitForOutcome(t, commandId, 'sim-0003', ['acknowledged', 'failed'], 15_000);
    expect(acknowledged).toMatchObject({ state: 'acknowledged', detail: { simulated: true } });
    expect(acknowledged.detail?.bridge).toMatch(/^sim-000[1245]$/);
    expect(acknowledged.reason).toBe(`magic packet sent by bridge ${acknowledged.detail?.bridge}`);
    const outcome = await waitForOutcome(t, commandId, 'sim-0003', ['failed', 'succeeded'], 45_000);
    expect(outcome.reason).toBe('not confirmed: no connection from the target within 30 s');
  }, 70_000);

  it('a MAC in params is for one device only: 400', async () => {
    const res = await callApi(t, 'POST', '/commands', {
      type: 'wake',
      target: { deviceIds: ['sim-0004', 'sim-0005'] },
      params: { mac: '3c:52:82:0a:1b:2c' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('params.mac is only for a wake of a single device');
    const bad = await callApi(t, 'POST', '/commands', {
      type: 'wake',
      target: { deviceIds: ['sim-0004'] },
      params: { mac: 'not-a-mac' },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('MAC must be six hex bytes');
  });
});
