/**
 * Selectors and the Wake-on-LAN bridge queries through the local cloud: two dozen simulated devices
 * send real inventory reports (their `network` sections on three subnets) and heartbeats, operators
 * label them, and the selector pages — by group AND status, subnet, tag, everyone — name each
 * matching device exactly once whatever the page size. The address index follows a network change
 * (the old address is gone), is repaired by a redelivered report, and never believes an index item
 * the truth does not back. Bridge candidates are the online agents of the subnet, freshest first,
 * and of the site.
 */
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBridgeCandidates, gatherBridgePool, targetNetwork } from '#lambdas/targets/bridges.ts';
import { chooseBridges } from '#lambdas/targets/choose-bridges.ts';
import { PROJECTION_SK, projectionPk } from '#lambdas/targets/device-index.ts';
import { parseCidr, parseIpv4 } from '#lambdas/targets/ipv4.ts';
import { getProjection, reindexNetwork } from '#lambdas/targets/network-index.ts';
import { expandSelectorPage, SelectorCursorError, type TargetsDeps } from '#lambdas/targets/selector.ts';
import type { Selector } from '#protocol/api/selector.ts';
import { tables } from '#wiring/fleet.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { ReportingDevice } from '../support/reporting-device.ts';
import { waitFor } from '../support/wait.ts';

const SUBNETS = [
  { cidr: '10.7.1.0/24', gateway: '10.7.1.1', site: 'paris' },
  { cidr: '10.7.2.0/24', gateway: '10.7.2.1', site: 'paris' },
  { cidr: '10.8.1.0/24', gateway: '10.8.1.1', site: 'rome' },
] as const;
const COUNT = 24;
const GRACE_MS = 180_000;

interface Truth {
  readonly id: string;
  readonly group: 'odd' | 'even';
  readonly site: string;
  readonly tags: string[];
  online: boolean;
}

let t: TestCloud;
let deps: TargetsDeps;
const devices: ReportingDevice[] = [];
const truth = new Map<string, Truth>();

interface Listing {
  items: Array<{ deviceId: string }>;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Listing }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${t.endpoints.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Listing };
}

/** Every IPv4 address the device's inventory holds now. */
function addressesOf(device: ReportingDevice): number[] {
  return Object.values(device.interfaces).flatMap((iface) =>
    ((iface.ipv4 as string[] | undefined) ?? []).map(
      (cidr) => parseIpv4(cidr.split('/')[0] as string) as number,
    ),
  );
}

function inSubnet(device: ReportingDevice, cidr: string): boolean {
  const block = parseCidr(cidr);
  return block !== undefined && addressesOf(device).some((a) => a >= block.first && a <= block.last);
}

/** Every page of a selector, in order; each page at most `pageSize` ids. */
async function expandAll(selector: Selector, pageSize: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await expandSelectorPage(deps, selector, {
      pageSize,
      now: Date.now(),
      graceMs: GRACE_MS,
      ...(cursor === undefined ? {} : { cursor }),
    });
    expect(page.deviceIds.length).toBeLessThanOrEqual(pageSize);
    ids.push(...page.deviceIds);
    cursor = page.cursor;
    pages++;
  } while (cursor !== undefined && pages < 1000);
  return { ids, pages };
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();
const expected = (keep: (d: Truth, device: ReportingDevice) => boolean): string[] =>
  sorted(devices.filter((device) => keep(truth.get(device.id) as Truth, device)).map((d) => d.id));

async function waitIndexed(device: ReportingDevice): Promise<void> {
  const want = sorted(addressesOf(device).map(String));
  await waitFor(
    async () => {
      const projection = await getProjection(deps, device.id);
      const have = sorted(
        (projection?.interfaces ?? []).flatMap((i) => i.ipv4.map((a) => String(parseIpv4(a.address)))),
      );
      return JSON.stringify(have) === JSON.stringify(want) ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `the network projection of ${device.id}` },
  );
}

beforeAll(async () => {
  t = await startTestCloud();
  deps = {
    ddb: t.aws.ddb,
    devicesTable: tables.devices.localName,
    deviceIndexTable: tables.deviceIndex.localName,
  };
  for (let i = 0; i < COUNT; i++) {
    const id = `tgt-${String(i + 1).padStart(2, '0')}`;
    const subnet = SUBNETS[i % SUBNETS.length] as (typeof SUBNETS)[number];
    const device = ReportingDevice.simulated(id, await t.deviceClient(id), 100 + i, subnet);
    devices.push(device);
    truth.set(id, {
      id,
      group: i % 2 === 0 ? 'even' : 'odd',
      site: subnet.site,
      tags: i % 4 === 0 ? ['kiosk'] : [],
      online: true,
    });
  }
  // Heartbeats one after the other: the bridge candidates' freshness order is this order.
  for (const device of devices) {
    await device.report();
    await device.heartbeat();
  }
  await waitFor(
    async () => ((await api('GET', '/devices?limit=200')).body.items.length === COUNT ? true : undefined),
    {
      timeoutMs: 20_000,
      what: 'every device registered',
    },
  );
  for (const device of devices) await waitIndexed(device);
  for (const [id, labels] of truth) {
    const res = await api('PATCH', `/devices/${id}`, {
      group: labels.group,
      site: labels.site,
      ...(labels.tags.length > 0 ? { tags: labels.tags } : {}),
    });
    expect(res.status).toBe(200);
  }
  // A quarter of the fleet goes away: a disconnect makes them offline at once.
  const leaving = devices.filter((_, i) => i % 4 === 1);
  for (const device of leaving) {
    (truth.get(device.id) as Truth).online = false;
    await (await t.deviceClient(device.id)).endAsync();
  }
  await waitFor(
    async () =>
      (await api('GET', '/devices?status=offline&limit=200')).body.items.length >= leaving.length
        ? true
        : undefined,
    { timeoutMs: 20_000, what: 'the leaving devices offline' },
  );
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('selector expansion', () => {
  it('selects a group AND a status through the label index', async () => {
    const { ids } = await expandAll({ group: 'odd', status: 'online' }, 4);

    expect(sorted(ids)).toEqual(expected((d) => d.group === 'odd' && d.online));
    expect(ids.length).toBeGreaterThan(0);
  });

  it.each(['10.7.1.0/24', '10.7.0.0/16', '10.8.1.0/24', '10.0.0.0/8'])(
    'selects the devices with an address in %s, by their reported inventory',
    async (subnet) => {
      const { ids } = await expandAll({ subnet }, 3);

      expect(ids).toEqual([...new Set(ids)]);
      expect(sorted(ids)).toEqual(expected((_, device) => inSubnet(device, subnet)));
    },
  );

  it('finds one device by its /32', async () => {
    const device = devices[5] as ReportingDevice;
    const assigned = Object.values(device.interfaces).flatMap((i) => (i.ipv4 as string[] | undefined) ?? []);
    const address = assigned.find((cidr) => cidr.startsWith('10.'))?.split('/')[0];

    const { ids } = await expandAll({ subnet: `${address}/32` }, 10);

    expect(ids).toEqual([device.id]);
  });

  it('combines a subnet with a tag and a status', async () => {
    const selector: Selector = { subnet: '10.7.0.0/16', tag: 'kiosk', status: 'online' };

    const { ids } = await expandAll(selector, 2);

    expect(sorted(ids)).toEqual(
      expected((d, device) => inSubnet(device, '10.7.0.0/16') && d.tags.includes('kiosk') && d.online),
    );
  });

  it('selects a tag', async () => {
    const { ids } = await expandAll({ tag: 'kiosk' }, 5);

    expect(sorted(ids)).toEqual(expected((d) => d.tags.includes('kiosk')));
  });

  it.each([1, 2, 7, 100])(
    'pages over the whole fleet with no device lost or twice (page size %i)',
    async (pageSize) => {
      const { ids, pages } = await expandAll({ all: true }, pageSize);

      expect(ids).toHaveLength(COUNT);
      expect(sorted(ids)).toEqual(sorted(truth.keys()));
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(COUNT / pageSize));
    },
  );

  it.each([1, 4])('pages a site with no device lost or twice (page size %i)', async (pageSize) => {
    const { ids } = await expandAll({ site: 'paris', status: 'offline' }, pageSize);

    expect(ids).toEqual([...new Set(ids)]);
    expect(sorted(ids)).toEqual(expected((d) => d.site === 'paris' && !d.online));
  });

  it('resolves device ids directly, skipping unknown ones and those the other criteria exclude', async () => {
    const { ids } = await expandAll(
      { deviceIds: ['tgt-01', 'tgt-02', 'nope-1', 'tgt-03'], group: 'even' },
      2,
    );

    expect(ids).toEqual(['tgt-01', 'tgt-03']);
  });

  it('ignores index items the record or the projection does not back', async () => {
    const put = (item: Record<string, unknown>) =>
      t.aws.ddb.send(new PutCommand({ TableName: tables.deviceIndex.localName, Item: item }));
    // Left behind by a crash: tgt-02 is odd, and has no address 10.7.1.250.
    await put({ pk: 'group#even', sk: 'tgt-02', v: 1 });
    await put({
      pk: 'ip4#10',
      sk: '010.007.001.250#tgt-02',
      deviceId: 'tgt-02',
      iface: 'x',
      address: '10.7.1.250',
      prefix: 24,
      g: 1,
    });

    const even = await expandAll({ group: 'even' }, 50);
    const host = await expandAll({ subnet: '10.7.1.250/32' }, 50);

    expect(even.ids).not.toContain('tgt-02');
    expect(host.ids).toEqual([]);
  });

  it('refuses a cursor issued for another source', async () => {
    const page = await expandSelectorPage(
      deps,
      { all: true },
      { pageSize: 1, now: Date.now(), graceMs: GRACE_MS },
    );

    await expect(
      expandSelectorPage(
        deps,
        { group: 'odd' },
        { pageSize: 1, now: Date.now(), graceMs: GRACE_MS, cursor: page.cursor as string },
      ),
    ).rejects.toBeInstanceOf(SelectorCursorError);
  });
});

describe('the address index', () => {
  async function addressKeys(deviceId: string, octet: number): Promise<string[]> {
    const out = await t.aws.ddb.send(
      new QueryCommand({
        TableName: tables.deviceIndex.localName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ip4#${octet}` },
      }),
    );
    return (out.Items ?? []).filter((i) => i.deviceId === deviceId).map((i) => String(i.address));
  }

  it('follows a network change: the new address is found, the old one is gone', async () => {
    const device = devices[6] as ReportingDevice;
    const [name, iface] = Object.entries(device.interfaces).find(
      ([, i]) => Array.isArray(i.ipv4) && String(i.ipv4[0]).startsWith('10.'),
    ) as [string, Record<string, unknown>];
    const old = String((iface.ipv4 as string[])[0]).split('/')[0];
    device.interfaces[name] = { ...iface, ipv4: ['10.9.9.9/24'] };

    await device.report();
    await waitIndexed(device);

    expect((await expandAll({ subnet: '10.9.9.0/24' }, 10)).ids).toEqual([device.id]);
    expect((await expandAll({ subnet: `${old}/32` }, 10)).ids).toEqual([]);
    expect(await addressKeys(device.id, 10)).toEqual(['10.9.9.9']);
  });

  it('is repaired by a redelivered report after the reindex was lost', async () => {
    const device = devices[12] as ReportingDevice;
    await t.aws.ddb.send(
      new DeleteCommand({
        TableName: tables.deviceIndex.localName,
        Key: { pk: projectionPk(device.id), sk: PROJECTION_SK },
      }),
    );
    expect(await getProjection(deps, device.id)).toBeUndefined();

    await device.resend();

    await waitIndexed(device);
    expect((await expandAll({ deviceIds: [device.id], subnet: '10.0.0.0/8' }, 10)).ids).toEqual([device.id]);
  });
  it('keeps the newest generation when reindexing runs late or twice', async () => {
    const deviceId = 'order-1';
    const network = (cidr: string) => ({ interfaces: { eth0: { mac: '02:00:00:00:77:01', ipv4: [cidr] } } });
    const run = (g: number, cidr: string) =>
      reindexNetwork(deps, { deviceId, g, manifest: `m${g}`, network: network(cidr), now: Date.now() });

    expect(await run(5, '10.77.0.5/24')).toBe('indexed');
    expect(await run(4, '10.77.0.4/24')).toBe('superseded');
    expect(await addressKeys(deviceId, 10)).toEqual(['10.77.0.5']);
    expect((await getProjection(deps, deviceId))?.g).toBe(5);

    expect(await run(6, '10.77.0.6/24')).toBe('indexed');
    expect(await run(6, '10.77.0.6/24')).toBe('unchanged');
    expect(await addressKeys(deviceId, 10)).toEqual(['10.77.0.6']);
  });
});

describe('Wake-on-LAN bridge queries', () => {
  it('finds the online agents of a subnet, freshest first, and of the site', async () => {
    const subnet = '10.7.2.0/24';

    const found = await findBridgeCandidates(deps, {
      subnet,
      site: 'paris',
      now: Date.now(),
      graceMs: GRACE_MS,
    });

    expect(sorted(found.inSubnet.map((c) => c.deviceId))).toEqual(
      expected((d, device) => d.online && inSubnet(device, subnet)),
    );
    for (const candidate of found.inSubnet) {
      const device = devices.find((d) => d.id === candidate.deviceId) as ReportingDevice;
      expect(addressesOf(device)).toContain(parseIpv4(candidate.address as string));
    }
    const freshness = found.inSubnet.map((c) => c.lastHeartbeatAt);
    expect(freshness).toEqual([...freshness].sort((a, b) => b - a));
    expect(sorted(found.sameSite.map((c) => c.deviceId))).toEqual(
      expected((d) => d.online && d.site === 'paris'),
    );
  });

  it("names an offline target's MACs and subnets and picks two same-subnet bridges for it", async () => {
    const offline = devices.find(
      (d) => !(truth.get(d.id) as Truth).online && inSubnet(d, '10.7.1.0/24'),
    ) as ReportingDevice;
    const macs = Object.values(offline.interfaces)
      .filter((i) => i.virtual !== true && i.type !== 'virtual' && typeof i.mac === 'string')
      .map((i) => i.mac);

    const target = await targetNetwork(deps, offline.id);
    const pool = await gatherBridgePool(deps, [target], { now: Date.now(), graceMs: GRACE_MS });
    const choice = chooseBridges([target], pool);

    expect(target.site).toBe('paris');
    expect(sorted(new Set(target.nics.map((n) => n.mac)))).toEqual(sorted(new Set(macs as string[])));
    expect(target.nics.some((n) => n.subnet === '10.7.1.0/24')).toBe(true);
    expect(choice.unreachable).toEqual([]);
    expect(choice.relays).toHaveLength(1);
    expect(choice.relays[0]).toMatchObject({
      mode: 'same-subnet',
      subnet: '10.7.1.0/24',
      broadcastAddress: '10.7.1.255',
    });
    expect(choice.relays[0]?.bridges).toHaveLength(2);
    for (const bridge of choice.relays[0]?.bridges ?? []) {
      expect((truth.get(bridge.deviceId) as Truth).online).toBe(true);
    }
  });
});
