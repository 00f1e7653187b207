/**
 * Policies end to end through the local cloud: the policies API, real agents (simulator) whose
 * heartbeats get `policy-changed`, their `policy/request` answered with their own effective policy,
 * and the next heartbeat reporting the version they now run.
 *
 * Group membership is set by writing the device record's `labels` directly (PATCH /devices/{id} is
 * another part of issue 9).
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '#agent/agent.ts';
import type { PolicyView } from '#protocol/api/policies.ts';
import { type Command, CommandSchema } from '#protocol/commands.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { tables } from '#wiring/fleet.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
let fleet: SimulatedFleet;

interface Reply {
  status: number;
  body: Record<string, unknown> & { message?: string };
}

async function api(method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${t.endpoints.apiToken}`, 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

const view = async (policyId: string): Promise<PolicyView> => {
  const res = await api('GET', `/policies/${policyId}`);
  expect(res.status).toBe(200);
  return res.body as unknown as PolicyView;
};

async function setGroup(deviceId: string, group: string): Promise<void> {
  await t.aws.ddb.send(
    new UpdateCommand({
      TableName: tables.devices.localName,
      Key: { deviceId },
      UpdateExpression: 'SET labels = :labels',
      ExpressionAttributeValues: { ':labels': { group } },
    }),
  );
}

const agentOf = (deviceId: string): Agent => {
  const agent = fleet.agents.find((a) => a.deviceId === deviceId);
  if (!agent) throw new Error(`no agent ${deviceId}`);
  return agent;
};

/** Waits until the agent runs a version above `above` with the given inventory interval (a marker). */
async function waitForPolicy(deviceId: string, above: number, inventoryIntervalSec: number) {
  return waitFor(
    () => {
      const running = agentOf(deviceId).policy();
      return running.version > above && running.inventoryIntervalSec === inventoryIntervalSec
        ? running
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `${deviceId} running a policy above v${above}` },
  );
}

/** Commands a raw device client receives on its command topic. */
async function commandsOf(client: MqttClient, deviceId: string): Promise<Command[]> {
  const received: Command[] = [];
  client.on('message', (topic, payload) => {
    if (topic === topics.command(deviceId))
      received.push(CommandSchema.parse(JSON.parse(payload.toString())));
  });
  await client.subscribeAsync(topics.command(deviceId), { qos: 1 });
  return received;
}

beforeAll(async () => {
  // Every heartbeat reads fresh heads: the tests change policies faster than the cache's 15 s.
  process.env.POLICY_HEAD_CACHE_SEC = '0';
  t = await startTestCloud();
  fleet = await startSimulatedFleet({
    count: 4,
    ...fleetConnection(t),
    heartbeatIntervalSec: 1,
    seed: 9,
  });
  await waitFor(
    async () => {
      const records = await Promise.all(fleet.deviceIds.map((id) => api('GET', `/devices/${id}`)));
      return records.every((r) => r.status === 200 && r.body.lastHeartbeatAt !== undefined)
        ? true
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'the fleet heard' },
  );
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
  delete process.env.POLICY_HEAD_CACHE_SEC;
});

describe('policies through the heartbeat path', () => {
  it('a policy assigned to a group reaches every member, and each reports the new version', async () => {
    const [a, b, outsider] = fleet.deviceIds as [string, string, string, string];
    await setGroup(a, 'lab');
    await setGroup(b, 'lab');
    await setGroup(outsider, 'office');

    const put = await api('PUT', '/policies/lab', {
      inventoryIntervalSec: 1200,
      analyzer: { enabled: false },
    });
    expect(put.status).toBe(200);
    const version = put.body.version as number;
    expect(put.body.document).toMatchObject({
      version,
      inventoryIntervalSec: 1200,
      heartbeatIntervalSec: 60,
    });
    const assigned = await api('POST', '/policies/lab/assign', { groups: ['lab'] });
    expect(assigned).toMatchObject({ status: 200, body: { version, assigned: { groups: ['lab'] } } });

    const shown = await waitFor(
      async () => {
        const v = await view('lab');
        return v.versions[0]?.devicesRunning === 2 ? v : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'both lab devices reporting the lab version' },
    );
    expect(shown).toMatchObject({
      policyId: 'lab',
      latestVersion: version,
      assignedTo: { deviceIds: [], groups: ['lab'], default: false },
      devicesAssigned: 2,
    });
    for (const id of [a, b]) {
      expect(agentOf(id).policy()).toMatchObject({ version, inventoryIntervalSec: 1200 });
      expect((await api('GET', `/devices/${id}`)).body.policyVersion).toBe(version);
    }
    expect(agentOf(outsider).policy().version).toBe(0);
  });

  it('moving a device between policies never lowers its version, by assignment or by group', async () => {
    const [a, , outsider, loner] = fleet.deviceIds as [string, string, string, string];
    await setGroup(loner, 'office');
    const lab = await view('lab');

    // A newer policy for one device: it takes it.
    const high = await api('PUT', '/policies/high', { inventoryIntervalSec: 3600 });
    await api('POST', '/policies/high/assign', { deviceIds: [outsider] });
    const onHigh = await waitForPolicy(outsider, 0, 3600);
    expect(onHigh.version).toBe(high.body.version);

    // Assigned back to the older lab policy: re-stamped above what it runs, not stuck on `high`.
    const back = await api('POST', '/policies/lab/assign', { deviceIds: [outsider] });
    expect(back.body).toMatchObject({ restampedFrom: lab.latestVersion });
    expect(back.body.version as number).toBeGreaterThan(onHigh.version);
    const onLab = await waitForPolicy(outsider, onHigh.version, 1200);
    expect(onLab.version).toBe(back.body.version);

    // A group move (labels changed under it) to a policy with a lower number: re-stamped on the heartbeat.
    const kiosk = await api('PUT', '/policies/kiosk', { inventoryIntervalSec: 600 });
    await api('POST', '/policies/kiosk/assign', { groups: ['kiosk'] });
    const lab2 = await api('PUT', '/policies/lab', { inventoryIntervalSec: 1800 });
    const onLab2 = await waitForPolicy(a, kiosk.body.version as number, 1800);
    expect(onLab2.version).toBe(lab2.body.version);
    await setGroup(a, 'kiosk');
    const onKiosk = await waitForPolicy(a, onLab2.version, 600);
    // Its next heartbeat reports it.
    await waitFor(async () => ((await view('kiosk')).versions[0]?.devicesRunning === 1 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'the kiosk version reported',
    });
    expect((await view('kiosk')).versions[0]?.version).toBe(onKiosk.version);

    // The default applies to a device with no assignment of its own or of its group.
    const fallback = await api('PUT', '/policies/fallback', { inventoryIntervalSec: 7200 });
    await api('POST', '/policies/fallback/assign', { default: true });
    const onDefault = await waitForPolicy(loner, 0, 7200);
    expect(onDefault.version).toBe(fallback.body.version);
    expect(agentOf(outsider).policy().inventoryIntervalSec).not.toBe(7200);
  });
});

describe('policy requests', () => {
  it("answers a device's request with its own effective policy only, and only when newer", async () => {
    const mine = await t.deviceClient('req-mine');
    const other = await t.deviceClient('req-other');
    for (const [client, id] of [
      [mine, 'req-mine'],
      [other, 'req-other'],
    ] as const) {
      await client.publishAsync(basicIngestTopic(topics.heartbeat(id)), JSON.stringify(validHeartbeat()), {
        qos: 1,
      });
    }
    await t.cloud.idle();
    const put = await api('PUT', '/policies/req-mine', { heartbeatIntervalSec: 120 });
    const assigned = await api('POST', '/policies/req-mine/assign', { deviceIds: ['req-mine'] });
    expect(assigned.status).toBe(200);
    await api('PUT', '/policies/req-other', { heartbeatIntervalSec: 300 });
    await api('POST', '/policies/req-other/assign', { deviceIds: ['req-other'] });
    const toMine = await commandsOf(mine, 'req-mine');
    const toOther = await commandsOf(other, 'req-other');

    await mine.publishAsync(basicIngestTopic(topics.policyRequest('req-mine')), '{"currentVersion":0}', {
      qos: 1,
    });
    const answer = await waitFor(() => toMine.find((c) => c.type === 'policy'), {
      timeoutMs: 10_000,
      what: 'the policy command',
    });
    expect(answer).toMatchObject({
      type: 'policy',
      policy: { version: put.body.version, heartbeatIntervalSec: 120 },
    });

    // Already current: no answer.
    await mine.publishAsync(
      basicIngestTopic(topics.policyRequest('req-mine')),
      JSON.stringify({ currentVersion: put.body.version }),
      { qos: 1 },
    );
    await t.cloud.idle();
    expect(toMine.filter((c) => c.type === 'policy')).toHaveLength(1);
    expect(toOther).toEqual([]);
  });

  it('dead-letters a malformed request with its reason', async () => {
    const client = await t.deviceClient('req-bad');
    await client.publishAsync(basicIngestTopic(topics.policyRequest('req-bad')), '{"currentVersion":-1}', {
      qos: 1,
    });
    await t.cloud.idle();
    const letter = await waitFor(
      async () => {
        const res = await t.aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: t.cloud.queues.ingestDeadLetter.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        return (res.Messages ?? [])
          .map((m) => DeadLetterSchema.parse(JSON.parse(m.Body ?? '')))
          .find((l) => l.deviceId === 'req-bad');
      },
      { timeoutMs: 10_000, what: 'the dead letter' },
    );
    expect(letter).toMatchObject({ source: 'policyRequests', errorType: 'SchemaError' });
    expect(letter.reason).toMatch(/policy request is invalid: .*currentVersion/);
  });
});

describe('policies API input', () => {
  it('refuses bad input with a clear 400 and changes nothing', async () => {
    const listed = async () =>
      ((await api('GET', '/policies')).body.items as Array<Record<string, unknown>>).map(
        ({ policyId, latestVersion, assignedTo }) => ({ policyId, latestVersion, assignedTo }),
      );
    const before = await listed();
    const lab = await view('lab');

    const outOfRange = await api('PUT', '/policies/lab', { heartbeatIntervalSec: 5 });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.message).toMatch(/invalid body: .*heartbeatIntervalSec/);
    const unknownField = await api('PUT', '/policies/lab', { colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toMatch(/colour/);
    const withVersion = await api('PUT', '/policies/lab', { version: 999 });
    expect(withVersion.status).toBe(400);
    const badProxy = await api('PUT', '/policies/lab', { proxies: [{ url: 'ftp://x' }] });
    expect(badProxy.status).toBe(400);
    const badId = await api('PUT', '/policies/Not_An_Id', {});
    expect(badId.status).toBe(400);
    expect(badId.body.message).toMatch(/invalid path: .*policy id must match/);
    const notJson = await api('PUT', '/policies/lab', undefined, '{"heartbeatIntervalSec":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.message).toMatch(/invalid body/);
    const noBody = await api('PUT', '/policies/lab');
    expect(noBody).toEqual({ status: 400, body: { message: 'a JSON body is required' } });

    const emptyAssign = await api('POST', '/policies/lab/assign', {});
    expect(emptyAssign.status).toBe(400);
    expect(emptyAssign.body.message).toMatch(/deviceIds, groups or default/);
    const unknownDevice = await api('POST', '/policies/lab/assign', {
      deviceIds: ['never-seen'],
      groups: ['x'],
    });
    expect(unknownDevice).toEqual({ status: 400, body: { message: 'unknown device: never-seen' } });
    const badGroup = await api('POST', '/policies/lab/assign', { groups: ['no spaces'] });
    expect(badGroup.status).toBe(400);
    const unknownPolicy = await api('POST', '/policies/nothing-here/assign', { default: true });
    expect(unknownPolicy.status).toBe(404);
    expect((await api('GET', '/policies/nothing-here')).status).toBe(404);

    expect(await listed()).toEqual(before);
    const after = await view('lab');
    expect(after.latestVersion).toBe(lab.latestVersion);
    expect(after.versions.map((v) => v.version)).toEqual(lab.versions.map((v) => v.version));
    expect(after.assignedTo).toEqual(lab.assignedTo);
  });
});
