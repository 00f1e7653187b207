/**
 * `fleetpulse commands …` and `devices label` as a person runs them against the REAL commands API
 * (local cloud) and real agents (the simulator): create with --wait, list, show --devices, cancel,
 * wait, --json outputs that parse against the contract, and a group target set with `devices label`.
 * (test/cli/commands.test.ts covers progress lines and exit codes against a test double.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandIdSchema, CommandViewSchema, DeviceOutcomeSchema } from '#protocol/api/commands.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { deviceOutcomes } from '../../cli/commands-client.ts';
import { callApi, registerOfflineDevice } from '../support/commands-api.ts';
import { fleetpulse, STACK_FRAME } from '../support/fleetpulse-cli.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const OFFLINE = 'cli-cmd-offline';
let t: TestCloud;
let fleet: SimulatedFleet;
let api: string[];
let a: string;
let b: string;

beforeAll(async () => {
  t = await startTestCloud();
  api = ['--api-url', t.endpoints.apiUrl, '--token', t.endpoints.apiToken];
  await registerOfflineDevice(t, OFFLINE);
  fleet = await startSimulatedFleet({
    count: 2,
    ...fleetConnection(t),
    seed: 33,
  });
  [a, b] = fleet.deviceIds as [string, string];
  await waitFor(
    async () => {
      const views = await Promise.all([a, b, OFFLINE].map((id) => callApi(t, 'GET', `/devices/${id}`)));
      const [va, vb, voff] = views.map((v) => v.body?.status);
      return va === 'online' && vb === 'online' && voff === 'offline' ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'two agents online, one device offline' },
  );
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

describe('fleetpulse commands against the real API', () => {
  it('create --wait exits 0 with a succeeded summary; list, show --devices and --json parse', {
    timeout: 120_000,
  }, async () => {
    const created = await fleetpulse([
      'commands',
      'create',
      '--type',
      'ping',
      '--device',
      a,
      '--wait',
      ...api,
    ]);
    expect(created.stderr).not.toMatch(STACK_FRAME);
    expect(created.code, created.stderr).toBe(0);
    const commandId = /^(cmd-\S+): all 1 devices succeeded$/m.exec(created.stdout)?.[1];
    expect(commandId, created.stdout).toBeDefined();
    expect(created.stderr).toMatch(/created; waiting for it/);

    const asJson = await fleetpulse([
      'commands',
      'create',
      '--type',
      'ping',
      '--device',
      a,
      b,
      '--json',
      ...api,
    ]);
    expect(asJson.code, asJson.stderr).toBe(0);
    const view = CommandViewSchema.parse(JSON.parse(asJson.stdout));
    expect(view.target).toEqual({ deviceIds: [a, b].sort() });
    const waited = await fleetpulse(['commands', 'wait', view.commandId, '--interval', '200ms', ...api]);
    expect(waited.code, waited.stderr).toBe(0);

    const listed = await fleetpulse(['commands', 'list', '--type', 'ping', '--json', ...api]);
    expect(listed.code, listed.stderr).toBe(0);
    const items = CommandViewSchema.array().parse(JSON.parse(listed.stdout));
    expect(items.map((i) => i.commandId)).toEqual([view.commandId, commandId]);
    expect(items[0]).toMatchObject({ status: 'completed', targeted: 2, totals: { succeeded: 2, failed: 0 } });
    const table = await fleetpulse(['commands', 'list', '--status', 'completed', ...api]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(view.commandId);

    const shown = await fleetpulse(['commands', 'show', view.commandId, '--devices', '--json', ...api]);
    expect(shown.code, shown.stderr).toBe(0);
    const detail = JSON.parse(shown.stdout) as { command: unknown; devices: unknown[] };
    expect(CommandViewSchema.parse(detail.command).commandId).toBe(view.commandId);
    const outcomes = DeviceOutcomeSchema.array().parse(detail.devices);
    expect(outcomes.map((o) => [o.deviceId, o.state])).toEqual([a, b].sort().map((id) => [id, 'succeeded']));
    // The client follows the API's cursors over a command's outcomes (one per request here).
    const target = { apiUrl: t.endpoints.apiUrl, token: t.endpoints.apiToken };
    const paged = await deviceOutcomes(target, view.commandId, { pageSize: 1 });
    expect(paged.map((o) => o.deviceId)).toEqual([a, b].sort());
    const people = await fleetpulse(['commands', 'show', view.commandId, '--devices', ...api]);
    expect(people.code, people.stderr).toBe(0);
    expect(people.stdout).toContain(a);
    expect(people.stdout).toMatch(/succeeded/);
  });

  it('cancel a command held for an offline device; wait then exits 1 naming it', {
    timeout: 60_000,
  }, async () => {
    const created = await fleetpulse([
      'commands',
      'create',
      '--type',
      'ping',
      '--device',
      OFFLINE,
      '--json',
      ...api,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const commandId = CommandIdSchema.parse(JSON.parse(created.stdout).commandId);

    const canceled = await fleetpulse(['commands', 'cancel', commandId, '--json', ...api]);
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(CommandViewSchema.parse(JSON.parse(canceled.stdout))).toMatchObject({
      commandId,
      status: 'canceled',
    });
    const again = await fleetpulse(['commands', 'cancel', commandId, ...api]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(`${commandId}: cancel requested (status: canceled)`);

    const waited = await fleetpulse(['commands', 'wait', commandId, '--interval', '200ms', ...api]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(OFFLINE);
    expect(waited.stderr).toMatch(/canceled/);
  });

  it('devices label, then a command to the group reaches its members only', {
    timeout: 60_000,
  }, async () => {
    const labelled = await fleetpulse(['devices', 'label', a, b, '--group', 'cli-lab', ...api]);
    expect(labelled.code, labelled.stderr).toBe(0);

    const created = await fleetpulse([
      'commands',
      'create',
      '--type',
      'ping',
      '--group',
      'cli-lab',
      '--wait',
      '--json',
      ...api,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const view = CommandViewSchema.parse(JSON.parse(created.stdout));
    expect(view).toMatchObject({ target: { group: 'cli-lab' }, status: 'completed', targeted: 2 });
    expect(view.totals.succeeded).toBe(2);
  });

  it('an unknown command id is a clear error, not a stack trace', async () => {
    const shown = await fleetpulse(['commands', 'show', 'cmd-0000000000nothing', ...api]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/does not exist/);
    expect(shown.stderr).not.toMatch(STACK_FRAME);
  });
});
