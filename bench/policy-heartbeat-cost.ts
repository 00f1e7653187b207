/**
 * What the policy heartbeat reaction costs per heartbeat, on the real local cloud (dynalite): DynamoDB
 * requests and read units per reaction, with the head cache warm (POLICY_HEAD_CACHE_SEC 15, the
 * default) and off (0), for a device that is up to date (the steady state: every device, every 60 s)
 * and one that is behind (it also gets `policy-changed`). Devices are spread over groups, a few
 * with their own assignment, the rest on the default.
 *
 *   npx tsx bench/policy-heartbeat-cost.ts [devices]      → bench/results/policy-heartbeat.json
 *
 * Handler modules build their AWS clients from process.env at import, so lambdas/ is imported after
 * the cloud has set the environment.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '#local/cloud.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { tables } from '#wiring/fleet.ts';
import { tallyDelta, tallyRequests } from './request-tally.ts';
import { table } from './table.ts';

const DEVICES = Number(process.argv[2] ?? 500);
const GROUPS = 10;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-policy-bench-'));
  const cloud = await startLocalCloud({
    dataDir,
    ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
    log: 'silent',
  });
  try {
    const { ddb, dynamodb } = await import('#lambdas/commons/aws/dynamodb.ts');
    const { s3 } = await import('#lambdas/commons/aws/s3.ts');
    const { sqs } = await import('#lambdas/commons/aws/sqs.ts');
    const { reconcileDevicePolicy, HeadCache } = await import('#lambdas/policies/effective.ts');
    const { policyDeps } = await import('#lambdas/policies/handler-deps.ts');
    const { policyHeartbeatReaction } = await import('#lambdas/policies/heartbeat-reaction.ts');

    const api = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${cloud.endpoints.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${cloud.endpoints.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const deviceIds = Array.from({ length: DEVICES }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    for (const [i, deviceId] of deviceIds.entries()) {
      await ddb.send(
        new PutCommand({
          TableName: tables.devices.localName,
          Item: { deviceId, lastHeartbeatAt: Date.now(), labels: { group: `g${i % (GROUPS + 2)}` } },
        }),
      );
    }
    for (let g = 0; g < GROUPS; g++) {
      await api('PUT', `/policies/group-${g}`, { inventoryIntervalSec: 600 + g });
      await api('POST', `/policies/group-${g}/assign`, { groups: [`g${g}`] });
    }
    await api('PUT', '/policies/own', { heartbeatIntervalSec: 30 });
    await api('POST', '/policies/own/assign', { deviceIds: deviceIds.filter((_, i) => i % 50 === 0) });
    await api('PUT', '/policies/fallback', { heartbeatIntervalSec: 90 });
    await api('POST', '/policies/fallback/assign', { default: true });

    const fresh = policyDeps();
    const running = new Map<string, number>();
    for (const deviceId of deviceIds) {
      const r = await reconcileDevicePolicy(fresh, { deviceId, runningVersion: 0, now: Date.now() });
      running.set(deviceId, r.status === 'none' ? 0 : r.effective.version);
    }

    const tally = tallyRequests({ dynamodb, s3, sqs });
    const ctx = (deviceId: string) => ({
      deviceId,
      receivedAt: Date.now(),
      logger: { info: () => undefined, error: () => undefined },
      metrics: { addMetric: () => undefined },
    });
    const heartbeat = (policyVersion: number) => ({ policyVersion }) as Heartbeat;
    const rows: Array<Record<string, unknown>> = [];
    for (const cacheSec of [15, 0]) {
      process.env.POLICY_HEAD_CACHE_SEC = String(cacheSec);
      // A fresh cache per case: the module keeps one per environment, so it is rebuilt here.
      const cache = new HeadCache(cacheSec * 1000);
      for (const state of ['up to date', 'behind'] as const) {
        const before = tally();
        const started = performance.now();
        for (const deviceId of deviceIds) {
          const version = state === 'up to date' ? (running.get(deviceId) ?? 0) : 0;
          if (cacheSec === 15) await policyHeartbeatReaction.react(heartbeat(version), ctx(deviceId));
          else
            await reconcileDevicePolicy(
              { ...policyDeps(), headCache: cache },
              {
                deviceId,
                runningVersion: version,
                now: Date.now(),
              },
            );
        }
        const ms = performance.now() - started;
        const delta = tallyDelta(tally(), before).dynamodb;
        const requests = Object.values(delta.requests).reduce((a, b) => a + b, 0);
        rows.push({
          headCacheSec: cacheSec,
          device: state,
          requestsPerHeartbeat: +(requests / DEVICES).toFixed(2),
          byOperation: Object.fromEntries(
            Object.entries(delta.requests).map(([op, n]) => [op, +(n / DEVICES).toFixed(2)]),
          ),
          readUnitsPerHeartbeat: +(delta.readUnits / DEVICES).toFixed(2),
          writeUnitsPerHeartbeat: +(delta.writeUnits / DEVICES).toFixed(2),
          msPerHeartbeatLocal: +(ms / DEVICES).toFixed(2),
        });
      }
    }
    const result = { devices: DEVICES, groups: GROUPS, measuredAt: new Date().toISOString(), rows };
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/policy-heartbeat.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      table(
        ['HEAD CACHE', 'DEVICE', 'REQUESTS', 'BY OPERATION', 'READ UNITS', 'WRITE UNITS', 'MS (LOCAL)'],
        rows.map((r) => [
          `${r.headCacheSec}s`,
          String(r.device),
          String(r.requestsPerHeartbeat),
          JSON.stringify(r.byOperation),
          String(r.readUnitsPerHeartbeat),
          String(r.writeUnitsPerHeartbeat),
          String(r.msPerHeartbeatLocal),
        ]),
      ),
    );
  } finally {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
