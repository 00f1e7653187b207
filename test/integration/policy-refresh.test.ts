/**
 * `policy-refresh` end to end through the local cloud: group labels set with PATCH /devices/{id}, a
 * policy assigned to the group, a `policy-refresh` command to `{group}`; each member's agent (the
 * simulator) gets `policy-changed` under the command's id, requests and applies its policy, and
 * answers with the version it runs. Heartbeats are an hour apart, so the heartbeat path cannot be
 * what delivers the policy here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_POLICY_REASON } from '#lambdas/commands/types/policy-refresh.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { callApi, commandDetail } from '../support/commands-api.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
let fleet: SimulatedFleet;

const agentOf = (deviceId: string) => {
  const agent = fleet.agents.find((a) => a.deviceId === deviceId);
  if (!agent) throw new Error(`no agent ${deviceId}`);
  return agent;
};

async function completed(commandId: string) {
  return waitFor(
    async () => {
      const detail = await commandDetail(t, commandId);
      return detail.command.status === 'completed' ? detail : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `${commandId} completed` },
  );
}

beforeAll(async () => {
  t = await startTestCloud();
  fleet = await startSimulatedFleet({
    count: 3,
    ...fleetConnection(t),
    heartbeatIntervalSec: 3600,
    seed: 21,
  });
  await waitFor(
    async () => {
      const records = await Promise.all(fleet.deviceIds.map((id) => callApi(t, 'GET', `/devices/${id}`)));
      return records.every((r) => r.status === 200 && r.body.status === 'online') ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'the fleet online' },
  );
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

describe('policy-refresh', () => {
  it('to a group: each member runs the new version and reports it; the command completes', async () => {
    const [a, b, outsider] = fleet.deviceIds as [string, string, string];
    for (const id of [a, b]) {
      const patched = await callApi(t, 'PATCH', `/devices/${id}`, { group: 'refresh-lab' });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    }
    const put = await callApi(t, 'PUT', '/policies/refresh-lab', {
      heartbeatIntervalSec: 3600,
      inventoryIntervalSec: 7200,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const version = put.body.version as number;
    const assigned = await callApi(t, 'POST', '/policies/refresh-lab/assign', { groups: ['refresh-lab'] });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    // Nothing reached the agents yet: their next heartbeat is an hour away.
    expect(agentOf(a).policy().version).toBeLessThan(version);

    const created = await callApi(t, 'POST', '/commands', {
      type: 'policy-refresh',
      target: { group: 'refresh-lab' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { command, devices } = await completed(created.body.commandId);

    expect(command).toMatchObject({ targeted: 2, totals: { succeeded: 2 } });
    expect(devices.map((d) => d.deviceId).sort()).toEqual([a, b].sort());
    for (const outcome of devices) {
      expect(outcome.state).toBe('succeeded');
      expect(outcome.detail).toMatchObject({ policyVersion: version });
      expect(outcome.history.map((h) => h.state)).toEqual([
        'queued',
        'dispatched',
        'acknowledged',
        'succeeded',
      ]);
      expect(agentOf(outcome.deviceId).policy()).toMatchObject({ version, inventoryIntervalSec: 7200 });
    }
    expect(agentOf(outsider).policy().version).toBeLessThan(version);
    // The agent heartbeats as soon as it applies a policy, so the cloud's counts follow at once
    // (the next scheduled heartbeat is an hour away).
    await waitFor(
      async () => {
        const shown = await callApi(t, 'GET', '/policies/refresh-lab');
        const latest = shown.body.versions?.find((v: { version: number }) => v.version === version);
        return latest?.devicesRunning === 2 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'GET /policies/refresh-lab: 2 devices running it' },
    );
    expect((await callApi(t, 'GET', `/devices/${a}`)).body.policyVersion).toBe(version);

    // Again, with every member current: each answers at once with the version it runs.
    const again = await callApi(t, 'POST', '/commands', {
      type: 'policy-refresh',
      target: { deviceIds: [a] },
    });
    const repeat = await completed(again.body.commandId);
    expect(repeat.devices[0]).toMatchObject({ state: 'succeeded', detail: { policyVersion: version } });
  });

  it('a device moved to a group whose policy has a lower number: re-stamped, so it takes it', async () => {
    const mover = fleet.deviceIds[2] as string;
    const refresh = async () => {
      const created = await callApi(t, 'POST', '/commands', {
        type: 'policy-refresh',
        target: { deviceIds: [mover] },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      return (await completed(created.body.commandId)).devices[0];
    };
    expect((await callApi(t, 'PATCH', `/devices/${mover}`, { group: 'refresh-high' })).status).toBe(200);
    const high = await callApi(t, 'PUT', '/policies/refresh-high', {
      heartbeatIntervalSec: 3600,
      inventoryIntervalSec: 600,
    });
    expect(
      (await callApi(t, 'POST', '/policies/refresh-high/assign', { groups: ['refresh-high'] })).status,
    ).toBe(200);
    expect(await refresh()).toMatchObject({
      state: 'succeeded',
      detail: { policyVersion: high.body.version },
    });
    await waitFor(
      async () =>
        (await callApi(t, 'GET', `/devices/${mover}`)).body.policyVersion === high.body.version
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 100, what: `${mover} heard running v${high.body.version}` },
    );

    // refresh-lab's latest number is below the one the device runs: it would ignore that version.
    expect((await callApi(t, 'PATCH', `/devices/${mover}`, { group: 'refresh-lab' })).status).toBe(200);
    const outcome = await refresh();

    expect(outcome?.state).toBe('succeeded');
    const restamped = (outcome?.detail as { policyVersion?: number } | undefined)?.policyVersion ?? 0;
    expect(restamped).toBeGreaterThan(high.body.version);
    expect(agentOf(mover).policy()).toMatchObject({ version: restamped, inventoryIntervalSec: 7200 });
  });

  it('a device with no policy assigned: succeeded at once, saying it keeps what it runs', async () => {
    const outsider = fleet.deviceIds[2] as string;
    expect((await callApi(t, 'PATCH', `/devices/${outsider}`, { group: null })).status).toBe(200);
    const created = await callApi(t, 'POST', '/commands', {
      type: 'policy-refresh',
      target: { deviceIds: [outsider] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { devices } = await completed(created.body.commandId);
    expect(devices[0]).toMatchObject({ deviceId: outsider, state: 'succeeded', reason: NO_POLICY_REASON });
  });
});
