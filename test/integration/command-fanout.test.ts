/**
 * The fan-out at fleet scale through the local cloud: a command to 1,000 registered devices gives
 * every device exactly one outcome and one delivery (command-fanout-resume.test.ts kills the
 * fan-out half-way).
 */
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTopic } from '#protocol/topics.ts';
import { callApi, commandDetail } from '../support/commands-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const FLEET = 1000;
const deviceIds = Array.from({ length: FLEET }, (_, i) => `fan-${String(i).padStart(4, '0')}`);

let t: TestCloud;
const deliveries = new Map<string, Map<string, number>>();

beforeAll(async () => {
  // Two workers for the ingest functions, as npm start runs them: the fan-out and the dispatcher run
  // side by side instead of queueing behind each other (95 s → 69 s for this file on a quiet machine).
  t = await startTestCloud({ lambdaWorkers: 2 });
  const now = Date.now();
  for (let i = 0; i < FLEET; i += 25) {
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
  t.cloud.onDataPlanePublish((topic, payload) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'command') return;
    const { commandId } = JSON.parse(payload.toString('utf8')) as { commandId: string };
    const perDevice = deliveries.get(commandId) ?? new Map<string, number>();
    perDevice.set(parsed.deviceId, (perDevice.get(parsed.deviceId) ?? 0) + 1);
    deliveries.set(commandId, perDevice);
  });
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

async function pingAll(): Promise<string> {
  const res = await callApi(t, 'POST', '/commands', { type: 'ping', target: { deviceIds } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.commandId;
}

async function expectEveryDeviceOnce(commandId: string): Promise<void> {
  // Waiting reads the meta item's counters (one item); the checks below read every outcome.
  let last: unknown;
  await waitFor(
    async () => {
      const { Item } = await t.aws.ddb.send(
        new GetCommand({ TableName: 'fleetpulse-commands', Key: { pk: commandId, sk: 'meta' } }),
      );
      last = { ...Item, target: undefined };
      return Item?.fanoutDone === true && Item.targeted === FLEET && Item.totals.queued === 0;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: `${FLEET} devices dispatched` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
  });
  const { command } = await commandDetail(t, commandId, 1);
  // Past dispatched: no device answers, so those that waited 30 s have timed out.
  expect(command).toMatchObject({ targeted: FLEET, totals: { queued: 0 } });
  expect(command.totals.dispatched + command.totals['timed-out']).toBe(FLEET);
  const { devices, pages } = await commandDetail(t, commandId, 300);
  expect(pages).toBe(4);
  expect(devices.map((d) => d.deviceId).sort()).toEqual(deviceIds);
  for (const device of devices) {
    expect(device.history.map((h) => h.state).slice(0, 2)).toEqual(['queued', 'dispatched']);
    expect(device.history.filter((h) => h.state === 'dispatched')).toHaveLength(1);
  }
  const perDevice = deliveries.get(commandId);
  expect(perDevice?.size).toBe(FLEET);
  expect([...(perDevice?.values() ?? [])].every((n) => n === 1)).toBe(true);
}

describe('command fan-out', () => {
  it('gives each of 1,000 devices one outcome and one delivery', async () => {
    const commandId = await pingAll();
    await expectEveryDeviceOnce(commandId);
  }, 180_000);
});
