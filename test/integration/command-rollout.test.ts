/**
 * Rollout rate and abort threshold through the local cloud (fan-out, dispatcher, results rule). The
 * pacing is checked on the times the dispatcher published at, against the schedule the rate gives
 * (test/unit/command-rollout.test.ts checks the schedule itself); the abort with raw device clients
 * that answer `failed`.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutDelaySec } from '#lambdas/commands/fanout.ts';
import { basicIngestTopic, parseTopic, topics } from '#protocol/topics.ts';
import { callApi, commandDetail } from '../support/commands-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
/** Per command id, per device: when the dispatcher published to it. */
const published = new Map<string, Map<string, number>>();

/** Registered, online devices nobody answers for (their pings would time out). */
async function registerSilent(deviceIds: string[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < deviceIds.length; i += 25) {
    await t.aws.ddb.send(
      new BatchWriteCommand({
        RequestItems: {
          'fleetpulse-devices': deviceIds.slice(i, i + 25).map((deviceId) => ({
            PutRequest: { Item: { deviceId, firstSeenAt: now, lastConnectedAt: now, lastHeartbeatAt: now } },
          })),
        },
      }),
    );
  }
}

/** A raw device client that answers every command it gets with `failed`. */
async function failingDevice(deviceId: string): Promise<void> {
  const client = await t.deviceClient(deviceId);
  client.on('message', (topic, payload) => {
    if (topic !== topics.command(deviceId)) return;
    const { commandId } = JSON.parse(payload.toString()) as { commandId: string };
    const result = { commandId, status: 'failed', at: Date.now(), reason: 'disk full' };
    void client.publishAsync(basicIngestTopic(topics.commandResult(deviceId)), JSON.stringify(result), {
      qos: 1,
    });
  });
  await client.subscribeAsync(topics.command(deviceId), { qos: 1 });
  await waitFor(
    async () =>
      (await callApi(t, 'GET', `/devices/${deviceId}`)).body?.status === 'online' ? true : undefined,
    { timeoutMs: 10_000, intervalMs: 100, what: `${deviceId} online` },
  );
}

async function create(body: Record<string, unknown>): Promise<{ commandId: string; createdAt: number }> {
  const res = await callApi(t, 'POST', '/commands', body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { commandId: res.body.commandId, createdAt: res.body.createdAt };
}

beforeAll(async () => {
  t = await startTestCloud();
  t.cloud.onDataPlanePublish((topic, payload) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'command') return;
    const { commandId } = JSON.parse(payload.toString('utf8')) as { commandId: string };
    const perDevice = published.get(commandId) ?? new Map<string, number>();
    if (!perDevice.has(parsed.deviceId)) perDevice.set(parsed.deviceId, Date.now());
    published.set(commandId, perDevice);
  });
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('rollout', () => {
  it('maxPerMinute 600 over 30 devices: ten a second, each no earlier than its place allows', async () => {
    const deviceIds = Array.from({ length: 30 }, (_, i) => `pace-${String(i).padStart(2, '0')}`);
    await registerSilent(deviceIds);
    const { commandId, createdAt } = await create({
      type: 'ping',
      target: { deviceIds },
      rollout: { maxPerMinute: 600 },
    });

    const times = await waitFor(
      () => {
        const perDevice = published.get(commandId);
        return perDevice?.size === deviceIds.length ? perDevice : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: '30 devices dispatched' },
    );

    // The selector yields device ids sorted: the i-th is delayed rolloutDelaySec(i, 600) = ⌊i / 10⌋ s.
    deviceIds.forEach((deviceId, i) => {
      const at = times.get(deviceId) ?? 0;
      expect(at - createdAt, deviceId).toBeGreaterThanOrEqual(rolloutDelaySec(i, 600) * 1000);
    });
    const sorted = [...times.values()].sort((a, b) => a - b);
    expect((sorted.at(-1) ?? 0) - (sorted[0] ?? 0)).toBeGreaterThanOrEqual(1_500);
    const { command } = await commandDetail(t, commandId);
    expect(command).toMatchObject({ targeted: 30, rollout: { maxPerMinute: 600 } });
  }, 40_000);
});

describe('abort threshold', () => {
  it('cancels the rest when more than 50 % of the first 2 devices fail', async () => {
    const failing = ['abort-0', 'abort-1'];
    const rest = Array.from({ length: 8 }, (_, i) => `abort-${i + 2}`);
    for (const id of failing) await failingDevice(id);
    await registerSilent(rest);

    // One a second, in id order: the two failing devices come first, the last is due at 9 s.
    const { commandId } = await create({
      type: 'ping',
      target: { deviceIds: [...failing, ...rest] },
      rollout: { maxPerMinute: 60, abort: { failedPercent: 50, afterDevices: 2 } },
    });

    const done = await waitFor(
      async () => {
        const detail = await commandDetail(t, commandId);
        const finished = detail.devices.every((d) => ['failed', 'canceled'].includes(d.state));
        return detail.command.status === 'aborted' && finished && detail.devices.length === 10
          ? detail
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'command aborted, every device final' },
    );

    expect(done.command.reason).toBe('aborted: 2 of the first 2 devices failed (threshold 50 % after 2)');
    expect(done.command.totals).toMatchObject({ failed: 2, canceled: 8, queued: 0, dispatched: 0 });
    for (const outcome of done.devices) {
      if (failing.includes(outcome.deviceId)) {
        expect(outcome).toMatchObject({ state: 'failed', reason: 'disk full' });
      } else {
        expect(outcome, outcome.deviceId).toMatchObject({ state: 'canceled', reason: done.command.reason });
      }
    }
    // The devices due after the abort were never sent the ping (the last ones are due at 7–9 s).
    const sent = published.get(commandId) ?? new Map();
    expect(['abort-7', 'abort-8', 'abort-9'].filter((id) => sent.has(id))).toEqual([]);
  }, 40_000);
});
