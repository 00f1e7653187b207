/**
 * `npx tsx bench/command-latency.ts [devices] [pings]` (defaults 50 and 40; `npm run bench` runs the
 * defaults): command latency API → device for online devices. Connects that many devices that answer
 * a ping as the agent does, then sends `ping` commands to single devices, one at a time and then five
 * at a time, and times POST /commands → the ping on cmd/fleet/{id} (device side) and → `succeeded`
 * in GET /commands/{id} (polled every 20 ms, which adds up to 20 ms). Figures go to
 * bench/results/commands.json next to the fan-out figures of bench/command-fanout.ts, with the load.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startLocalCloud } from '#local/cloud.ts';
import { issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';

const devices = Number(process.argv[2] ?? 50);
const pings = Number(process.argv[3] ?? 40);
const RESULTS = join(import.meta.dirname, 'results');

const dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-latency-'));
const cloud = await startLocalCloud({
  dataDir,
  log: 'silent',
  ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
  lambdaWorkers: 2,
});
const received = new Map<string, number>();
const clients: MqttClient[] = [];

// biome-ignore lint/suspicious/noExplicitAny: bench reads a few fields of known answers
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${cloud.endpoints.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${cloud.endpoints.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** One ping to `deviceId`: [ms to the device, ms to succeeded in the API]. */
async function ping(deviceId: string): Promise<[number, number]> {
  const started = performance.now();
  const res = await api('POST', '/commands', { type: 'ping', target: { deviceIds: [deviceId] } });
  if (res.status !== 202) throw new Error(`POST /commands: ${res.status} ${JSON.stringify(res.body)}`);
  const commandId = res.body.commandId as string;
  for (;;) {
    const detail = await api('GET', `/commands/${commandId}`);
    if (detail.body.command.totals.succeeded === 1) break;
    if (performance.now() - started > 30_000) throw new Error(`${commandId} not succeeded in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const done = performance.now() - started;
  const atDevice = (received.get(commandId) ?? Number.NaN) - started;
  return [atDevice, done];
}

function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

async function run(concurrency: number): Promise<Record<string, unknown>> {
  const toDevice: number[] = [];
  const toSucceeded: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pings) {
        const i = next++;
        const [a, b] = await ping(`lat-${String(i % devices).padStart(4, '0')}`);
        toDevice.push(a);
        toSucceeded.push(b);
      }
    }),
  );
  return { concurrency, pings, toDeviceMs: percentiles(toDevice), toSucceededMs: percentiles(toSucceeded) };
}

try {
  for (let i = 0; i < devices; i++) {
    const deviceId = `lat-${String(i).padStart(4, '0')}`;
    const client = await connectDeviceClient(
      { mqttUrl: cloud.endpoints.mqttUrl, ca: cloud.ca },
      deviceId,
      await issueDeviceCert(cloud.ca, deviceId),
    );
    client.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString('utf8')) as { commandId: string; type: string };
      if (command.type !== 'ping') return;
      received.set(command.commandId, performance.now());
      // As the agent answers a ping: succeeded at once.
      client.publish(
        basicIngestTopic(topics.commandResult(deviceId)),
        JSON.stringify({ commandId: command.commandId, status: 'succeeded', at: Date.now() }),
        { qos: 1 },
      );
    });
    await client.subscribeAsync(topics.command(deviceId), { qos: 1 });
    clients.push(client);
  }
  // Online in the devices table once the presence events are handled.
  for (;;) {
    const page = await api('GET', '/devices?status=online&limit=200');
    if ((page.body.items as unknown[]).length >= devices) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await ping('lat-0000'); // warm-up: first loads of the handlers
  const sequential = await run(1);
  const concurrent = await run(5);
  let fanOut: unknown;
  try {
    fanOut = JSON.parse(readFileSync(join(RESULTS, 'command-fanout.json'), 'utf8'));
  } catch {
    fanOut = 'run npx tsx bench/command-fanout.ts 2000';
  }
  const figures = {
    generatedBy: `npx tsx bench/command-latency.ts ${devices} ${pings}`,
    onlineDevices: devices,
    latency: { sequential, concurrent },
    fanOut,
    cores: cpus().length,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  console.log(JSON.stringify(figures.latency, null, 2), `load ${figures.loadAverage1m}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'commands.json'), `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  for (const client of clients) client.end(true);
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
