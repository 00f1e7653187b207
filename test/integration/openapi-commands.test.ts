/**
 * The OpenAPI document held against real answers of the routes issue 9 added: commands (create,
 * list, show, cancel, a device's commands), device labels (PATCH /devices/{id}) and policies. Each
 * answer, success and error alike, must match the schema the served document gives for its route and
 * status (test/support/openapi-conformance.ts, Ajv on the document itself). openapi-api.test.ts does
 * the same for the device, inventory and sessions routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { callApi, commandDetail, registerOfflineDevice } from '../support/commands-api.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { type ConformanceChecker, conformanceChecker } from '../support/openapi-conformance.ts';
import { waitFor } from '../support/wait.ts';

const OFFLINE = 'oas-cmd-offline';
let t: TestCloud;
let fleet: SimulatedFleet;
let checker: ConformanceChecker;
let online: string;
/** A completed ping to the online agent, and a command held (queued) for the offline device. */
let completed: string;
let held: string;

interface Case {
  readonly route: string;
  readonly method: string;
  readonly path: () => string;
  readonly body?: () => unknown;
  readonly status: number;
}

beforeAll(async () => {
  t = await startTestCloud();
  await registerOfflineDevice(t, OFFLINE);
  fleet = await startSimulatedFleet({
    count: 1,
    ...fleetConnection(t),
    seed: 44,
  });
  online = fleet.deviceIds[0] as string;
  await waitFor(
    async () =>
      (await callApi(t, 'GET', `/devices/${online}`)).body?.status === 'online' ? true : undefined,
    { timeoutMs: 20_000, intervalMs: 100, what: 'the agent online' },
  );
  checker = conformanceChecker((await callApi(t, 'GET', '/openapi.json')).body);

  const ping = await callApi(t, 'POST', '/commands', { type: 'ping', target: { deviceIds: [online] } });
  completed = ping.body.commandId;
  await waitFor(
    async () => ((await commandDetail(t, completed)).command.status === 'completed' ? true : undefined),
    {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the ping completed',
    },
  );
  held = (
    await callApi(t, 'POST', '/commands', {
      type: 'ping',
      target: { deviceIds: [OFFLINE] },
      clientToken: 'oas-held',
    })
  ).body.commandId;
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

const policy = { heartbeatIntervalSec: 120, analyzer: { enabled: false } };

// In order: later cases rely on what earlier ones did (the policy exists, the held command is canceled).
const cases: readonly Case[] = [
  {
    route: 'POST /commands',
    method: 'POST',
    path: () => '/commands',
    status: 202,
    body: () => ({ type: 'inventory-resync', target: { deviceIds: [online] } }),
  },
  {
    route: 'POST /commands',
    method: 'POST',
    path: () => '/commands',
    status: 200,
    body: () => ({ type: 'ping', target: { deviceIds: [OFFLINE] }, clientToken: 'oas-held' }),
  },
  {
    route: 'POST /commands',
    method: 'POST',
    path: () => '/commands',
    status: 409,
    body: () => ({
      type: 'ping',
      target: { deviceIds: [OFFLINE] },
      clientToken: 'oas-held',
      expiresInSec: 60,
    }),
  },
  {
    route: 'POST /commands',
    method: 'POST',
    path: () => '/commands',
    status: 400,
    body: () => ({ type: 'reboot', target: { all: true } }),
  },
  {
    route: 'POST /commands',
    method: 'POST',
    path: () => '/commands',
    status: 400,
    body: () => ({ type: 'ping', target: {} }),
  },
  { route: 'GET /commands', method: 'GET', path: () => '/commands', status: 200 },
  {
    route: 'GET /commands',
    method: 'GET',
    path: () => '/commands?type=ping&status=completed&limit=1',
    status: 200,
  },
  { route: 'GET /commands', method: 'GET', path: () => '/commands?status=asleep', status: 400 },
  { route: 'GET /commands/{id}', method: 'GET', path: () => `/commands/${completed}`, status: 200 },
  { route: 'GET /commands/{id}', method: 'GET', path: () => `/commands/${held}?limit=1`, status: 200 },
  { route: 'GET /commands/{id}', method: 'GET', path: () => '/commands/cmd-0000000000nothing', status: 404 },
  { route: 'GET /commands/{id}', method: 'GET', path: () => '/commands/not-a-command', status: 400 },
  {
    route: 'POST /commands/{id}/cancel',
    method: 'POST',
    path: () => `/commands/${held}/cancel`,
    status: 202,
    body: () => ({ reason: 'oas' }),
  },
  {
    route: 'POST /commands/{id}/cancel',
    method: 'POST',
    path: () => `/commands/${completed}/cancel`,
    status: 409,
  },
  {
    route: 'POST /commands/{id}/cancel',
    method: 'POST',
    path: () => '/commands/cmd-0000000000nothing/cancel',
    status: 404,
  },
  {
    route: 'POST /commands/{id}/cancel',
    method: 'POST',
    path: () => `/commands/${held}/cancel`,
    status: 400,
    body: () => ({ why: 1 }),
  },
  {
    route: 'GET /devices/{id}/commands',
    method: 'GET',
    path: () => `/devices/${online}/commands`,
    status: 200,
  },
  {
    route: 'GET /devices/{id}/commands',
    method: 'GET',
    path: () => `/devices/${OFFLINE}/commands?limit=1`,
    status: 200,
  },
  {
    route: 'GET /devices/{id}/commands',
    method: 'GET',
    path: () => `/devices/${online}/commands?limit=0`,
    status: 400,
  },
  {
    route: 'PATCH /devices/{id}',
    method: 'PATCH',
    path: () => `/devices/${online}`,
    status: 200,
    body: () => ({ group: 'oas', site: 'paris', tags: ['b', 'a'] }),
  },
  {
    route: 'PATCH /devices/{id}',
    method: 'PATCH',
    path: () => `/devices/${online}`,
    status: 200,
    body: () => ({ site: null }),
  },
  {
    route: 'PATCH /devices/{id}',
    method: 'PATCH',
    path: () => `/devices/${online}`,
    status: 400,
    body: () => ({}),
  },
  {
    route: 'PATCH /devices/{id}',
    method: 'PATCH',
    path: () => '/devices/never-seen',
    status: 404,
    body: () => ({ group: 'x' }),
  },
  {
    route: 'PUT /policies/{id}',
    method: 'PUT',
    path: () => '/policies/oas',
    status: 200,
    body: () => policy,
  },
  {
    route: 'PUT /policies/{id}',
    method: 'PUT',
    path: () => '/policies/oas',
    status: 400,
    body: () => ({ heartbeatIntervalSec: 1 }),
  },
  {
    route: 'POST /policies/{id}/assign',
    method: 'POST',
    path: () => '/policies/oas/assign',
    status: 200,
    body: () => ({ groups: ['oas'], deviceIds: [OFFLINE] }),
  },
  {
    route: 'POST /policies/{id}/assign',
    method: 'POST',
    path: () => '/policies/nothing/assign',
    status: 404,
    body: () => ({ default: true }),
  },
  {
    route: 'POST /policies/{id}/assign',
    method: 'POST',
    path: () => '/policies/oas/assign',
    status: 400,
    body: () => ({}),
  },
  { route: 'GET /policies/{id}', method: 'GET', path: () => '/policies/oas', status: 200 },
  { route: 'GET /policies/{id}', method: 'GET', path: () => '/policies/nothing', status: 404 },
  { route: 'GET /policies/{id}', method: 'GET', path: () => '/policies/NOT_AN_ID', status: 400 },
  { route: 'GET /policies', method: 'GET', path: () => '/policies', status: 200 },
];

describe('the commands, labels and policies routes answer what the document says', () => {
  it.each(cases.map((c, i) => [`${i + 1}. ${c.route} → ${c.status}`, c] as const))('%s', async (_, c) => {
    const res = await callApi(t, c.method, c.path(), c.body?.());

    expect(res.status, JSON.stringify(res.body)).toBe(c.status);
    expect(checker.errors(c.route, c.status, res.body)).toEqual([]);
  });

  it('saw the data these routes exist for', async () => {
    const detail = (await callApi(t, 'GET', `/commands/${completed}`)).body;
    const rows = (await callApi(t, 'GET', `/devices/${online}/commands`)).body;
    const shown = (await callApi(t, 'GET', '/policies/oas')).body;

    expect(detail.devices.items[0]).toMatchObject({ deviceId: online, state: 'succeeded' });
    expect(detail.devices.items[0].detail).toBeDefined();
    expect(rows.items.map((r: { commandId: string }) => r.commandId)).toContain(completed);
    expect(shown).toMatchObject({ policyId: 'oas', devicesAssigned: 2 });
  });

  it('would notice a commands answer that drifted from the document', async () => {
    const detail = (await callApi(t, 'GET', `/commands/${completed}`)).body;
    const { succeeded: _, ...fewerTotals } = detail.command.totals;

    expect(checker.errors('GET /commands/{id}', 200, { ...detail, extra: true })).not.toEqual([]);
    expect(
      checker.errors('GET /commands/{id}', 200, {
        ...detail,
        command: { ...detail.command, totals: fewerTotals },
      }),
    ).not.toEqual([]);
  });
});
