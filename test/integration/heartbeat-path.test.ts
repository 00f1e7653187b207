/**
 * The heartbeat path end to end: real agents (simulator) → mTLS broker → topic rules → heartbeat and
 * presence handlers → dynalite → operator API, all in the in-process local cloud.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedFleet } from '#simulator/fleet.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

interface DeviceView {
  deviceId: string;
  status: 'online' | 'offline';
  agentVersion?: string;
  sourceIp?: string;
  platform?: string;
  connectivity?: { transport: string; rttMs: number | null };
}

let t: TestCloud;

async function api(path: string, token = t.endpoints.apiToken): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  // Every wiring function runs its real handler.
  t = await startTestCloud();
});

afterAll(async () => {
  await t?.cleanup();
});

describe('heartbeat path', () => {
  it('shows simulated devices online within seconds, then offline when the fleet stops', async () => {
    const fleet = await startSimulatedFleet({
      count: 3,
      ...fleetConnection(t),
      seed: 7,
    });
    try {
      const online = await waitFor(
        async () => {
          const { body } = await api('/devices?status=online');
          return body.items.length === 3 ? (body.items as DeviceView[]) : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'three devices online' },
      );
      expect(online.map((d) => d.deviceId).sort()).toEqual([...fleet.deviceIds].sort());
      const one = await api(`/devices/${fleet.deviceIds[0]}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        status: 'online',
        sourceIp: '127.0.0.1',
        connectivity: { transport: 'mqtts' },
      });
      expect(one.body.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      await fleet.stop();
    }
    const offline = await waitFor(
      async () => {
        const { body } = await api('/devices?status=offline');
        return body.items.length === 3 ? (body.items as DeviceView[]) : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'three devices offline' },
    );
    expect(offline.every((d) => d.status === 'offline')).toBe(true);
  });

  it('dead-letters a malformed heartbeat with its reason and leaves the device record untouched', async () => {
    const device = await t.deviceClient('bad-hb-1');
    await waitFor(async () => ((await api('/devices/bad-hb-1')).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'presence record',
    });
    const before = (await api('/devices/bad-hb-1')).body;

    await device.publishAsync('dt/fleet/bad-hb-1/heartbeat', '{"schema":1,"agentVersion":', { qos: 1 });
    await device.publishAsync('dt/fleet/bad-hb-1/heartbeat', JSON.stringify({ schema: 1, uptimeSec: -5 }), {
      qos: 1,
    });
    await t.cloud.idle();

    const letters = await receiveAll(t.cloud.queues.ingestDeadLetter.url, 2);
    const reasons = letters
      .filter((l) => l.deviceId === 'bad-hb-1')
      .map((l) => `${l.errorType}: ${l.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DecodeError: payload is not valid JSON/),
        expect.stringMatching(/^SchemaError: heartbeat is invalid: .*agentVersion/),
      ]),
    );
    const after = (await api('/devices/bad-hb-1')).body;
    expect(after.agentVersion).toBeUndefined();
    expect(after.lastHeartbeatAt).toEqual(before.lastHeartbeatAt);
    device.end(true);
  });

  it("stores the analyzer's status from the heartbeat and serves it with the device", async () => {
    const device = await t.deviceClient('analyzer-hb-1');
    const heartbeat = {
      schema: 1,
      agentVersion: '0.1.0',
      uptimeSec: 120,
      reportSeq: 0,
      policyVersion: 0,
      sessions: [{ id: '3-lxf8k0', user: 'CORP\\ada', state: 'locked' }],
      analyzer: { sessions: 1, restarts: 2, lastError: 'session 3-lxf8k0: outbox refused' },
      connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: 12 },
      sentAt: Date.now(),
    };
    await device.publishAsync('dt/fleet/analyzer-hb-1/heartbeat', JSON.stringify(heartbeat), { qos: 1 });
    const stored = await waitFor(
      async () => {
        const res = await api('/devices/analyzer-hb-1');
        return res.status === 200 && res.body.analyzer !== undefined ? res.body : undefined;
      },
      { timeoutMs: 10_000, what: 'heartbeat with analyzer status' },
    );
    expect(stored.analyzer).toEqual(heartbeat.analyzer);
    expect(stored.sessions).toEqual(heartbeat.sessions);
    device.end(true);
  });

  it('validates API input with clear 4xx errors', async () => {
    expect((await api('/devices', 'wrong-token')).status).toBe(401);
    const badId = await api('/devices/not%20an%20id');
    expect(badId.status).toBe(400);
    expect(badId.body.message).toMatch(/invalid path/);
    const unknown = await api('/devices/never-seen');
    expect(unknown).toEqual({ status: 404, body: { message: 'device never-seen is not known' } });
    const badFilter = await api('/devices?status=sleeping');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.message).toMatch(/status/);
    const badCursor = await api('/devices?cursor=garbage');
    expect(badCursor.status).toBe(400);
  });

  it('paginates the device list with an opaque cursor', async () => {
    const ids = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    const clients = await Promise.all(ids.map((id) => t.deviceClient(id)));
    await waitFor(
      async () => {
        const { body } = await api('/devices?limit=200');
        const seen = new Set((body.items as DeviceView[]).map((d) => d.deviceId));
        return ids.every((id) => seen.has(id)) ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'all page devices recorded' },
    );
    const collected: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: { items: DeviceView[]; nextCursor: string | null } } = await api(
        `/devices?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(body.items.length).toBeLessThanOrEqual(2);
      collected.push(...body.items.map((d) => d.deviceId));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(new Set(collected).size).toBe(collected.length);
    for (const id of ids) expect(collected).toContain(id);
    for (const c of clients) c.end(true);
  });
});

async function receiveAll(queueUrl: string, atLeast: number) {
  const out: ReturnType<typeof DeadLetterSchema.parse>[] = [];
  await waitFor(
    async () => {
      const res = await t.aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const m of res.Messages ?? []) out.push(DeadLetterSchema.parse(JSON.parse(m.Body ?? '')));
      return out.length >= atLeast ? true : undefined;
    },
    { timeoutMs: 10_000, what: `${atLeast} dead letters` },
  );
  return out;
}
