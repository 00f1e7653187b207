import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '#wiring/fleet.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

describe('presence after a restart of the local cloud', () => {
  let t: TestCloud;

  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function status(deviceId: string): Promise<unknown> {
    const res = await fetch(`${t.endpoints.apiUrl}/devices/${deviceId}`, {
      headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
    });
    return ((await res.json()) as { status?: unknown }).status;
  }

  it('records a disconnect for a device the store shows connected, as IoT Core does for a lost connection', async () => {
    // What a killed cloud leaves behind: a connect (and heartbeat) with no disconnect after it.
    const connectedAt = Date.now() - 5_000;
    await t.aws.ddb.send(
      new PutCommand({
        TableName: tables.devices.localName,
        Item: {
          deviceId: 'dev-r1',
          firstSeenAt: connectedAt,
          lastConnectedAt: connectedAt,
          lastHeartbeatAt: connectedAt,
        },
      }),
    );
    await t.aws.ddb.send(
      new PutCommand({
        TableName: tables.devices.localName,
        Item: {
          deviceId: 'dev-r2',
          firstSeenAt: connectedAt,
          lastConnectedAt: connectedAt,
          lastDisconnectedAt: connectedAt + 1,
        },
      }),
    );
    expect(await status('dev-r1')).toBe('online');

    await t.restart();
    await t.cloud.idle();

    const r1 = await t.aws.ddb.send(
      new GetCommand({ TableName: tables.devices.localName, Key: { deviceId: 'dev-r1' } }),
    );
    const r2 = await t.aws.ddb.send(
      new GetCommand({ TableName: tables.devices.localName, Key: { deviceId: 'dev-r2' } }),
    );
    expect(await status('dev-r1')).toBe('offline');
    expect(r1.Item?.lastDisconnectedAt).toBeGreaterThan(connectedAt);
    expect(r1.Item?.disconnectReason).toBe('SERVER_INITIATED_DISCONNECT');
    // Already disconnected: left as it was.
    expect(r2.Item?.lastDisconnectedAt).toBe(connectedAt + 1);
  });

  it('shows a device that reconnects after the restart online again', async () => {
    await t.deviceClient('dev-r1');

    // The connect event follows the CONNACK the client resolves on, as in IoT Core: poll for it.
    const online = await waitFor(async () => (await status('dev-r1')) === 'online', {
      timeoutMs: 10_000,
      what: 'dev-r1 online after its reconnect',
    });
    expect(online).toBe(true);
  });
});
