/**
 * Commands end to end through the local cloud: real agents (the simulator) and raw device clients
 * on the mTLS broker, the commands API, the fan-out and dispatcher queues and the results rule.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { simulatedInventoryModule } from '#simulator/inventory/module.ts';
import { type DeadLetter, DeadLetterSchema } from '#wiring/rule-event.ts';
import { callApi, commandDetail, waitForOutcome } from '../support/commands-api.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
let fleet: SimulatedFleet | undefined;

function startFleet(seed: number): Promise<SimulatedFleet> {
  return startSimulatedFleet({
    count: 1,
    ...fleetConnection(t),
    seed,
    modules: (deviceId, moduleSeed) => [
      simulatedInventoryModule(deviceId, moduleSeed, { intervalMs: 3_600_000 }),
    ],
  });
}

async function deviceStatus(deviceId: string): Promise<string | undefined> {
  const res = await callApi(t, 'GET', `/devices/${deviceId}`);
  return res.status === 200 ? res.body.status : undefined;
}

async function ping(deviceIds: string[], extra: Record<string, unknown> = {}) {
  const res = await callApi(t, 'POST', '/commands', { type: 'ping', target: { deviceIds }, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.commandId as string;
}

const deadLetters: DeadLetter[] = [];
async function deadLetterFor(match: (letter: DeadLetter) => boolean): Promise<DeadLetter> {
  return waitFor(
    async () => {
      const res = await t.aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: t.cloud.queues.ingestDeadLetter.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      for (const m of res.Messages ?? []) deadLetters.push(DeadLetterSchema.parse(JSON.parse(m.Body ?? '')));
      return deadLetters.find(match);
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'dead letter' },
  );
}

beforeAll(async () => {
  t = await startTestCloud();
  // A registered device that stays offline.
  const never = await t.deviceClient('cmd-never-online');
  await waitFor(async () => (await deviceStatus('cmd-never-online')) !== undefined, {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'cmd-never-online registered',
  });
  never.end(true);
  fleet = await startFleet(11);
  const [deviceId] = fleet.deviceIds;
  await waitFor(async () => (await deviceStatus(deviceId ?? '')) === 'online', {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'simulated device online',
  });
});

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

describe('commands', () => {
  it('pings an online agent: queued, dispatched, acknowledged, succeeded with the receive time', async () => {
    const deviceId = fleet?.deviceIds[0] ?? '';
    const commandId = await ping([deviceId]);

    const outcome = await waitForOutcome(t, commandId, deviceId, ['succeeded', 'failed', 'timed-out']);

    expect(outcome.state).toBe('succeeded');
    expect(outcome.history.map((h) => h.state)).toEqual(
      expect.arrayContaining(['queued', 'acknowledged', 'succeeded']),
    );
    expect(outcome.history[0]?.state).toBe('queued');
    const times = outcome.history.map((h) => h.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(outcome.detail?.receivedAt).toBeGreaterThanOrEqual(outcome.history[0]?.at ?? Infinity);
    const done = await waitFor(
      async () => {
        const { command } = await commandDetail(t, commandId);
        return command.status === 'completed' ? command : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'command completed' },
    );
    expect(done).toMatchObject({ targeted: 1, totals: { succeeded: 1, queued: 0, dispatched: 0 } });
    const rows = await callApi(t, 'GET', `/devices/${deviceId}/commands`);
    expect(rows.body.items[0]).toMatchObject({ commandId, type: 'ping', state: 'succeeded' });
  });

  it("resyncs an agent's inventory on request and reports success once the full report is queued", async () => {
    const deviceId = fleet?.deviceIds[0] ?? '';
    const res = await callApi(t, 'POST', '/commands', {
      type: 'inventory-resync',
      target: { deviceIds: [deviceId] },
    });
    expect(res.status).toBe(202);

    const outcome = await waitForOutcome(t, res.body.commandId, deviceId, [
      'succeeded',
      'failed',
      'timed-out',
    ]);

    expect(outcome).toMatchObject({ state: 'succeeded', detail: { reportSeq: expect.any(Number) } });
  });

  it('holds a command for an offline device and dispatches it within 10 s of its reconnect', async () => {
    const deviceId = fleet?.deviceIds[0] ?? '';
    await fleet?.stop();
    fleet = undefined;
    await waitFor(async () => (await deviceStatus(deviceId)) === 'offline', {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'device offline',
    });
    const commandId = await ping([deviceId]);
    // Held: still queued once the dispatcher has seen it (the pending item is written).
    await waitFor(
      async () => {
        const pending = await t.aws.ddb.send(
          new GetCommand({
            TableName: 'fleetpulse-commands',
            Key: { pk: `pending#${deviceId}`, sk: commandId },
          }),
        );
        return pending.Item !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'pending item' },
    );
    expect((await waitForOutcome(t, commandId, deviceId, ['queued'])).state).toBe('queued');

    const reconnectAt = Date.now();
    fleet = await startFleet(11);
    const outcome = await waitForOutcome(
      t,
      commandId,
      deviceId,
      ['succeeded', 'failed', 'timed-out'],
      20_000,
    );

    expect(outcome.state).toBe('succeeded');
    const dispatched = outcome.history.find((h) => h.state !== 'queued');
    expect(dispatched?.at).toBeLessThanOrEqual(reconnectAt + 10_000);
  });

  it('expires a command the device does not connect for', async () => {
    await waitFor(async () => (await deviceStatus('cmd-never-online')) === 'offline', {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'cmd-never-online offline',
    });
    const commandId = await ping(['cmd-never-online'], { expiresInSec: 10 });

    const outcome = await waitForOutcome(t, commandId, 'cmd-never-online', ['expired'], 20_000);

    expect(outcome.reason).toMatch(/did not connect before the command expired/);
    // The status follows the last device's final state.
    await waitFor(async () => (await commandDetail(t, commandId)).command.status === 'completed', {
      timeoutMs: 5_000,
      intervalMs: 100,
      what: 'command completed',
    });
  }, 30_000);

  it('cancels the devices not finished, refuses to cancel a completed command', async () => {
    const commandId = await ping(['cmd-never-online']);
    await waitForOutcome(t, commandId, 'cmd-never-online', ['queued']);

    const canceled = await callApi(t, 'POST', `/commands/${commandId}/cancel`, { reason: 'wrong target' });
    expect(canceled.status).toBe(202);
    const outcome = await waitForOutcome(t, commandId, 'cmd-never-online', ['canceled']);
    expect(outcome.reason).toBe('wrong target');
    expect((await commandDetail(t, commandId)).command).toMatchObject({
      status: 'canceled',
      reason: 'wrong target',
    });
    expect((await callApi(t, 'POST', `/commands/${commandId}/cancel`)).status).toBe(202);

    const deviceId = fleet?.deviceIds[0] ?? '';
    const done = await ping([deviceId]);
    await waitFor(async () => (await commandDetail(t, done)).command.status === 'completed', {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'ping completed',
    });
    const refused = await callApi(t, 'POST', `/commands/${done}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/already completed/);
  });

  it('returns the same command for the same clientToken, and a 409 for another body with it', async () => {
    const body = { type: 'ping', target: { deviceIds: ['cmd-never-online'] }, clientToken: 'op-42.retry' };
    const first = await callApi(t, 'POST', '/commands', body);
    const again = await callApi(t, 'POST', '/commands', body);
    const other = await callApi(t, 'POST', '/commands', { ...body, expiresInSec: 60 });

    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.commandId).toBe(first.body.commandId);
    expect(other.status).toBe(409);
    const listed = await callApi(t, 'GET', '/commands?type=ping&limit=100');
    expect(
      listed.body.items.filter((c: { clientToken?: string }) => c.clientToken === 'op-42.retry'),
    ).toHaveLength(1);
  });

  it('refuses unknown device ids, naming them', async () => {
    const res = await callApi(t, 'POST', '/commands', {
      type: 'ping',
      target: { deviceIds: ['cmd-never-online', 'no-such-device-1'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/unknown device ids.*no-such-device-1/);
    expect(res.body.message).not.toMatch(/cmd-never-online/);
  });

  it('dead-letters a result for an unknown command and one from a device the command was not sent to', async () => {
    const target = fleet?.deviceIds[0] ?? '';
    const stranger = await t.deviceClient('cmd-stranger');
    const offlineCommand = await ping(['cmd-never-online']);
    await waitForOutcome(t, offlineCommand, 'cmd-never-online', ['queued']);
    const result = (commandId: string) => JSON.stringify({ commandId, status: 'succeeded', at: Date.now() });

    await stranger.publishAsync(
      basicIngestTopic(topics.commandResult('cmd-stranger')),
      result('cmd-0000000000unknown'),
      { qos: 1 },
    );
    await stranger.publishAsync(
      basicIngestTopic(topics.commandResult('cmd-stranger')),
      result(offlineCommand),
      {
        qos: 1,
      },
    );

    const unknown = await deadLetterFor((l) => l.reason.includes('cmd-0000000000unknown'));
    expect(unknown).toMatchObject({
      source: 'commandResults',
      errorType: 'ProtocolError',
      deviceId: 'cmd-stranger',
    });
    expect(unknown.reason).toMatch(/unknown command/);
    const wrong = await deadLetterFor((l) =>
      l.reason.includes(`${offlineCommand} was not sent to device cmd-stranger`),
    );
    expect(wrong.source).toBe('commandResults');
    const outcome = (await commandDetail(t, offlineCommand)).devices[0];
    expect(outcome).toMatchObject({ deviceId: 'cmd-never-online', state: 'queued' });
    expect(target).not.toBe('');
    stranger.end(true);
  });
});
