/**
 * Targets on the local DynamoDB emulator: what labels and the address index cost to keep, and how
 * fast selectors and the bridge search read them, for a fleet of simulated devices.
 *
 *   keep      DynamoDB requests (and wall time) per labels PATCH, per first network index of a device
 *             and per network change (a new address), through the same functions the handlers run.
 *   expand    expandSelectorPage over the whole fleet, a group, a group AND status, a tag, a /24 and a
 *             /16: devices selected, pages, requests, and devices per second.
 *   bridges   findBridgeCandidates for one /24 and its site: candidates, requests, time.
 *
 *   npm run bench:targets -- --devices 2000
 *
 * A report that does not change the network section costs the index nothing (the reaction is not
 * run: lambdas/targets/network-reaction.ts `wants`), so only changes are measured here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { findBridgeCandidates } from '#lambdas/targets/bridges.ts';
import { patchDeviceLabels } from '#lambdas/targets/labels.ts';
import { reindexNetwork } from '#lambdas/targets/network-index.ts';
import { expandSelectorPage, type TargetsDeps } from '#lambdas/targets/selector.ts';
import { createTables, startDynamoDb } from '#local/dynamodb.ts';
import type { Selector } from '#protocol/api/selector.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { SimulatedHost } from '#simulator/inventory/generated-host.ts';
import { tables } from '#wiring/fleet.ts';
import { table } from './table.ts';

const { values: args } = parseArgs({
  options: { devices: { type: 'string', default: '2000' }, out: { type: 'string' } },
});
const DEVICES = Number(args.devices);
const GRACE_MS = 180_000;
const CONCURRENCY = 16;

/** Counts requests by command while passing them on. */
function counting(ddb: DynamoDBDocumentClient) {
  let requests = 0;
  const client = {
    send: (command: { constructor: { name: string } }) => {
      requests++;
      return ddb.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return {
    client,
    take: () => {
      const n = requests;
      requests = 0;
      return n;
    },
  };
}

async function pool<T>(items: readonly T[], run: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i] as T, i);
      }
    }),
  );
}

const subnetOf = (i: number) => ({
  cidr: `10.${1 + (i % 4)}.${10 + (i % 3)}.0/24`,
  gateway: `10.${1 + (i % 4)}.${10 + (i % 3)}.1`,
});

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-bench-targets-'));
  const dynamo = await startDynamoDb({ dir, port: 0 });
  const raw = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(raw);
  const counter = counting(
    DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
  );
  const deps: TargetsDeps = {
    ddb: counter.client,
    devicesTable: tables.devices.localName,
    deviceIndexTable: tables.deviceIndex.localName,
  };
  const now = Date.now();
  const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
  try {
    await pool(ids, async (deviceId, i) => {
      await counter.client.send(
        new PutCommand({
          TableName: deps.devicesTable,
          Item: {
            deviceId,
            lastHeartbeatAt: now - (i % 3 === 0 ? 3_600_000 : i * 10),
            firstSeenAt: now - 86_400_000,
          },
        }),
      );
    });
    counter.take();

    const keep: string[][] = [];
    const measure = async (
      what: string,
      run: (deviceId: string, i: number) => Promise<unknown>,
      count = DEVICES,
    ) => {
      counter.take();
      const started = performance.now();
      await pool(ids.slice(0, count), async (deviceId, i) => {
        await run(deviceId, i);
      });
      const ms = performance.now() - started;
      const requests = counter.take();
      keep.push([what, String(count), (requests / count).toFixed(1), (ms / count).toFixed(2)]);
      return { what, count, requestsPerDevice: requests / count, msPerDevice: ms / count };
    };
    const networks = ids.map(
      (_, i) => new SimulatedHost(1000 + i, { subnet: subnetOf(i) }).sections().network as JsonObject,
    );
    const keepResults = [
      await measure('labels PATCH (group, site, tag)', (deviceId, i) =>
        patchDeviceLabels(deps, deviceId, {
          group: `g${i % 10}`,
          site: `s${i % 4}`,
          ...(i % 5 === 0 ? { tags: ['kiosk'] } : {}),
        }),
      ),
      await measure('first network index', (deviceId, i) =>
        reindexNetwork(deps, { deviceId, g: 1, manifest: 'm1', network: networks[i], now }),
      ),
      await measure(
        'network change (new address)',
        (deviceId, i) => {
          const network = structuredClone(networks[i]) as { interfaces: Record<string, { ipv4?: string[] }> };
          const iface = Object.values(network.interfaces).find((n) =>
            n.ipv4?.some((a) => a.startsWith('10.')),
          );
          if (iface) iface.ipv4 = [`10.200.${i % 250}.${1 + (i % 200)}/24`];
          return reindexNetwork(deps, {
            deviceId,
            g: 2,
            manifest: 'm2',
            network: network as unknown as JsonObject,
            now,
          });
        },
        Math.ceil(DEVICES / 10),
      ),
    ];

    const selectors: Array<[string, Selector]> = [
      ['all', { all: true }],
      ['group', { group: 'g3' }],
      ['group AND online', { group: 'g3', status: 'online' }],
      ['tag', { tag: 'kiosk' }],
      ['subnet /24', { subnet: '10.2.11.0/24' }],
      ['subnet /16', { subnet: '10.3.0.0/16' }],
    ];
    const expand: Array<Record<string, unknown>> = [];
    for (const [name, selector] of selectors) {
      counter.take();
      const started = performance.now();
      let cursor: string | undefined;
      let pages = 0;
      let selected = 0;
      do {
        const page = await expandSelectorPage(deps, selector, {
          pageSize: 100,
          now,
          graceMs: GRACE_MS,
          ...(cursor === undefined ? {} : { cursor }),
        });
        selected += page.deviceIds.length;
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined);
      const ms = performance.now() - started;
      expand.push({
        selector: name,
        selected,
        pages,
        requests: counter.take(),
        ms: Math.round(ms),
        devicesPerSec: Math.round((selected / ms) * 1000),
      });
    }

    counter.take();
    const started = performance.now();
    const found = await findBridgeCandidates(deps, {
      subnet: '10.2.11.0/24',
      site: 's1',
      now,
      graceMs: GRACE_MS,
    });
    const bridges = {
      subnet: '10.2.11.0/24',
      inSubnet: found.inSubnet.length,
      sameSite: found.sameSite.length,
      requests: counter.take(),
      ms: Math.round(performance.now() - started),
    };

    const result = {
      generatedBy: 'npm run bench:targets',
      devices: DEVICES,
      keep: keepResults,
      expand,
      bridges,
    };
    console.log(
      table(['keep', 'devices', 'requests/device', `wall ms/device (${CONCURRENCY} at once)`], keep),
    );
    console.log();
    console.log(
      table(
        ['selector', 'selected', 'pages', 'requests', 'ms', 'devices/s'],
        expand.map((e) => [e.selector, e.selected, e.pages, e.requests, e.ms, e.devicesPerSec].map(String)),
      ),
    );
    console.log();
    console.log(
      `bridges for ${bridges.subnet}: ${bridges.inSubnet} in the subnet, ${bridges.sameSite} of the site, ${bridges.requests} requests, ${bridges.ms} ms`,
    );
    const out = args.out ?? join(import.meta.dirname, 'results', 'targets.json');
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${out}`);
  } finally {
    raw.destroy();
    await dynamo.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
