/**
 * Operator labels through the local cloud: PATCH /devices/{id} merges labels into the device record
 * and keeps the label index in step; bad input is a 400 and an unknown device a 404, neither changing
 * anything; heartbeats after a label change leave the labels alone; the list filters by label; and
 * the CLI labels several devices at once and shows the labels.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { tables } from '#wiring/fleet.ts';
import { fleetpulse } from '../support/fleetpulse-cli.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DEVICES = ['lab-1', 'lab-2', 'lab-3'];
let t: TestCloud;

interface Answer {
  status: number;
  body: Record<string, unknown> & {
    labels?: Record<string, unknown>;
    items?: Array<Record<string, unknown>>;
  };
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${t.endpoints.apiToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Device ids in a label's index partition. */
async function members(pk: string): Promise<string[]> {
  const out = await t.aws.ddb.send(
    new QueryCommand({
      TableName: tables.deviceIndex.localName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    }),
  );
  return (out.Items ?? []).map((item) => String(item.sk));
}

async function heartbeat(deviceId: string): Promise<number> {
  const before = (await api('GET', `/devices/${deviceId}`)).body.lastHeartbeatAt as number | undefined;
  const client = await t.deviceClient(deviceId);
  await client.publishAsync(topics.heartbeat(deviceId), encodeJson(validHeartbeat({ sentAt: Date.now() })), {
    qos: 1,
  });
  await client.endAsync();
  return waitFor(
    async () => {
      const at = (await api('GET', `/devices/${deviceId}`)).body.lastHeartbeatAt as number | undefined;
      return at !== undefined && at !== before ? at : undefined;
    },
    { timeoutMs: 10_000, what: `a new heartbeat from ${deviceId}` },
  );
}

beforeAll(async () => {
  t = await startTestCloud();
  for (const id of DEVICES) await heartbeat(id);
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('PATCH /devices/{id}', () => {
  it('sets group, site and tags, answers with the device, and indexes each label', async () => {
    const res = await api('PATCH', '/devices/lab-1', { group: 'lab', site: 'paris', tags: ['kiosk', 'eu'] });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      deviceId: 'lab-1',
      status: expect.stringMatching(/^(online|offline)$/),
      labels: { group: 'lab', site: 'paris', tags: ['eu', 'kiosk'] },
    });
    expect((await api('GET', '/devices/lab-1')).body.labels).toEqual(res.body.labels);
    expect(await members('group#lab')).toEqual(['lab-1']);
    expect(await members('site#paris')).toEqual(['lab-1']);
    expect(await members('tag#kiosk')).toEqual(['lab-1']);
  });

  it('merges: null removes a label, an absent one stays, tags are replaced as a set; the index follows', async () => {
    await api('PATCH', '/devices/lab-2', { group: 'lab', site: 'lyon', tags: ['a', 'b'] });

    const res = await api('PATCH', '/devices/lab-2', { site: null, tags: ['b', 'c', 'c'] });

    expect(res.status).toBe(200);
    expect(res.body.labels).toEqual({ group: 'lab', tags: ['b', 'c'] });
    expect(await members('site#lyon')).toEqual([]);
    expect(await members('tag#a')).toEqual([]);
    expect(await members('tag#c')).toEqual(['lab-2']);
    expect((await members('group#lab')).sort()).toEqual(['lab-1', 'lab-2']);
  });

  it.each([
    ['a bad label', { group: 'no spaces allowed' }, /group/],
    ['an unknown field', { colour: 'blue' }, /colour|unrecognized/i],
    ['an empty patch', {}, /nothing to change/],
    ['too many tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, /tags/],
    ['a body that is not JSON', '{"group":', /not JSON/],
  ])('refuses %s with a 400 and changes nothing', async (_what, body, message) => {
    await api('PATCH', '/devices/lab-3', { group: 'stable' });
    const before = (await api('GET', '/devices/lab-3')).body;

    const res = await api('PATCH', '/devices/lab-3', body);

    expect(res.status).toBe(400);
    expect(String(res.body.message)).toMatch(message);
    const after = (await api('GET', '/devices/lab-3')).body;
    expect(after.labels).toEqual(before.labels);
    expect(after.labelsVersion).toBe(before.labelsVersion);
  });

  it('answers 404 for a device the registry does not know, and creates no record or index item', async () => {
    const res = await api('PATCH', '/devices/never-seen', { group: 'ghosts' });

    expect(res.status).toBe(404);
    expect((await api('GET', '/devices/never-seen')).status).toBe(404);
    expect(await members('group#ghosts')).toEqual([]);
  });

  it('keeps the labels through later heartbeats', async () => {
    await api('PATCH', '/devices/lab-1', { group: 'lab', site: 'paris', tags: ['eu', 'kiosk'] });

    const first = await heartbeat('lab-1');
    const second = await heartbeat('lab-1');

    const device = (await api('GET', '/devices/lab-1')).body;
    expect(second).toBeGreaterThan(first);
    expect(device.lastHeartbeatAt).toBe(second);
    expect(device.labels).toEqual({ group: 'lab', site: 'paris', tags: ['eu', 'kiosk'] });
  });
});

describe('GET /devices label filters', () => {
  it('lists only the devices with the label asked for', async () => {
    await api('PATCH', '/devices/lab-1', { group: 'lab', tags: ['eu', 'kiosk'] });
    await api('PATCH', '/devices/lab-2', { group: 'lab', tags: ['b'] });
    await api('PATCH', '/devices/lab-3', { group: 'stable' });

    const lab = await api('GET', '/devices?group=lab');
    const kiosk = await api('GET', '/devices?tag=kiosk&group=lab');
    const bad = await api('GET', '/devices?group=not%20a%20label');

    expect(lab.body.items?.map((d) => d.deviceId).sort()).toEqual(['lab-1', 'lab-2']);
    expect(kiosk.body.items?.map((d) => d.deviceId)).toEqual(['lab-1']);
    expect(bad.status).toBe(400);
  });
});

describe('fleetpulse devices label', () => {
  const apiArgs = () => ['--api-url', t.endpoints.apiUrl, '--token', t.endpoints.apiToken];

  it('labels several devices at once and lists them with their labels', { timeout: 60_000 }, async () => {
    const run = await fleetpulse([
      'devices',
      'label',
      'lab-2',
      'lab-3',
      '--site',
      'berlin',
      '--tag',
      'ops',
      ...apiArgs(),
    ]);
    const list = await fleetpulse(['devices', 'list', '--site', 'berlin', ...apiArgs()]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/lab-2\s+group=lab site=berlin tags=ops/);
    expect(run.stdout).toMatch(/lab-3\s+group=stable site=berlin tags=ops/);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/LABELS/);
    expect(list.stdout.split('\n').filter((line) => /site=berlin/.test(line))).toHaveLength(2);
  });

  it('clears a label, and names the devices it could not label', { timeout: 60_000 }, async () => {
    const run = await fleetpulse([
      'devices',
      'label',
      'lab-3',
      'nobody',
      '--clear-site',
      '--json',
      ...apiArgs(),
    ]);

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({ deviceId: 'lab-3', labels: { group: 'stable', tags: ['ops'] } }),
    ]);
    expect(run.stderr).toMatch(/nobody: 404 device nobody is not known/);
  });

  it('refuses contradicting or empty options before calling the API', { timeout: 60_000 }, async () => {
    const both = await fleetpulse([
      'devices',
      'label',
      'lab-3',
      '--group',
      'x',
      '--clear-group',
      ...apiArgs(),
    ]);
    const none = await fleetpulse(['devices', 'label', 'lab-3', ...apiArgs()]);

    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/contradict/);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing to change/);
  });
});
