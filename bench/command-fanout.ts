/**
 * `npx tsx bench/command-fanout.ts [devices]` (default 5,000): how fast the local cloud fans a
 * command out and dispatches it. Registers that many online device records (no agents: the
 * dispatcher publishes to topics nobody reads), sends one fleet-wide `ping`, and times the fan-out
 * (every outcome queued) and the dispatch (every device past queued). Figures go to
 * bench/results/command-fanout.json. Load on the machine moves these a lot: quote them with it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '#local/cloud.ts';
import { tables } from '#wiring/fleet.ts';

const devices = Number(process.argv[2] ?? 5000);
const dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-commands-'));
const cloud = await startLocalCloud({
  dataDir,
  log: 'silent',
  ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
  lambdaWorkers: 2,
});
const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: cloud.region,
    endpoint: cloud.endpoints.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);
try {
  const now = Date.now();
  const ids = Array.from({ length: devices }, (_, i) => `bench-${String(i).padStart(6, '0')}`);
  for (let i = 0; i < ids.length; i += 25) {
    await ddb.send(
      new BatchWriteCommand({
        RequestItems: {
          [tables.devices.localName]: ids.slice(i, i + 25).map((deviceId) => ({
            PutRequest: { Item: { deviceId, firstSeenAt: now, lastConnectedAt: now, lastHeartbeatAt: now } },
          })),
        },
      }),
    );
  }
  const started = performance.now();
  const res = await fetch(`${cloud.endpoints.apiUrl}/commands`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cloud.endpoints.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'ping', target: { all: true } }),
  });
  const { commandId } = (await res.json()) as { commandId: string };
  let fannedOutMs: number | undefined;
  let dispatchedMs: number | undefined;
  while (dispatchedMs === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { Item } = await ddb.send(
      new GetCommand({ TableName: tables.commands.localName, Key: { pk: commandId, sk: 'meta' } }),
    );
    const elapsed = performance.now() - started;
    if (fannedOutMs === undefined && Item?.fanoutDone === true) fannedOutMs = elapsed;
    if (fannedOutMs !== undefined && Item?.totals.queued === 0) dispatchedMs = elapsed;
    if (elapsed > 600_000) throw new Error('gave up after 10 minutes');
  }
  const figures = {
    generatedBy: `npx tsx bench/command-fanout.ts ${devices}`,
    devices,
    fanOutSec: Math.round((fannedOutMs ?? 0) / 100) / 10,
    fanOutPerSec: Math.round(devices / ((fannedOutMs ?? 1) / 1000)),
    dispatchedSec: Math.round(dispatchedMs / 100) / 10,
    dispatchedPerSec: Math.round(devices / (dispatchedMs / 1000)),
    cores: cpus().length,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  console.log(figures);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, 'results', 'command-fanout.json'),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
} finally {
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
