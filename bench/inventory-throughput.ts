/**
 * Merge throughput through the local cloud, one timed round of inventory-store.ts: devices publish
 * a full report then diffs over MQTT (QoS 1) as fast as the broker accepts, timed until every
 * device's stored sequence is its last; the requests the same reports need applied in order are
 * counted after it.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import type { LocalCloud } from '#local/cloud.ts';
import { issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import { fetchRequestCounts } from '#local/dynamodb-counter.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import type { Report } from '#protocol/inventory.ts';
import { topics } from '#protocol/topics.ts';
import { BenchDevice, type Domain, deviceIds, pool, round1 } from './inventory-domain.ts';
import { table } from './table.ts';

export interface ThroughputBenchOptions {
  devices: number;
  diffsPerDevice: number;
  seed: number;
  /**
   * A round through the same pipeline before the timed one, with devices of its own: the handler
   * workers' code compiled and their sockets open, as the raw baseline warms up before it counts.
   */
  warmup?: { devices: number; diffsPerDevice: number };
  /**
   * Timed rounds, each between two runs of the raw baseline, each with devices of its own: on a
   * shared machine one round says little, the median of several says more. @default 1
   */
  rounds?: number;
}

export interface ThroughputBenchResult {
  fleet: ThroughputBenchOptions;
  reports: number;
  fulls: number;
  diffs: number;
  /** First publish → last PUBACK. */
  publishMs: number;
  /** First publish → queue drained and every device's stored seq = its last published seq. */
  wallMs: number;
  reportsPerSec: number;
  diffsPerSec: number;
  /** After the run: stored sections equal each device's simulated state (read back via getInventory). */
  verifiedDevices: number;
  /** DynamoDB requests the emulator served between the first publish and the queue drained, by operation. */
  dynamodbRequests: Record<string, number>;
  dynamodbRequestsPerReport: number;
  /**
   * The requests the same reports cost applied one at a time per device, in order, with nothing
   * racing (counted at the emulator after the run, under other device ids): what the work itself
   * needs, without the looks for a base and the retries that concurrent delivery adds.
   */
  inOrderRequestsPerReport: number;
  /** CPU time of the whole process (cloud and the bench's devices) per DynamoDB request, in ms. */
  cpuMsPerRequest: number;
  environment: string;
}

const ENVIRONMENT_NOTE =
  'single shared 2-core machine; one Node process: broker, rule engine and SQS/S3 (local/sqs-s3.ts) in the main thread, DynamoDB (dynalite) and the handlers (2 threads, as npm start) in worker threads: a floor for the pipeline logic, not an AWS figure';

export async function runThroughputBench(
  cloud: LocalCloud,
  domain: Domain,
  options: ThroughputBenchOptions,
  prefix: string,
): Promise<ThroughputBenchResult> {
  const deps: InventoryDeps = domain.inventoryDeps();
  const sqs = new SQSClient({
    region: cloud.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: cloud.endpoints.sqsEndpoint,
    useQueueUrlAsEndpoint: false,
  });
  const clients: MqttClient[] = [];
  try {
    // Everything that is not the pipeline happens before the clock starts: certs, connections, frames.
    // Frames and certificates (CPU-bound, synchronous) all before any connect: done between
    // connects, they hold the event loop the broker shares long enough to time a CONNACK out.
    const prepared = deviceIds(prefix, options.devices).map((id) => {
      const device = new BenchDevice(id, options.seed);
      const frames: Buffer[] = [];
      const reports: Report[] = [];
      let diffs = 0;
      for (let tries = 0; diffs < options.diffsPerDevice && tries < options.diffsPerDevice * 20; tries++) {
        const report = device.next();
        if (report === undefined) continue;
        if (report.kind === 'diff') diffs++;
        frames.push(encodeFramed(report));
        reports.push(report);
      }
      return { id, device, frames, reports, diffs, cert: issueDeviceCert(cloud.ca, id) };
    });
    const devices = await Promise.all(
      prepared.map(async ({ id, device, frames, reports, diffs, cert: issued }) => {
        const cert = await issued;
        const client = await connectDeviceClient(
          { mqttUrl: cloud.endpoints.mqttUrl, ca: cloud.ca },
          id,
          cert,
          {
            connectTimeout: 10_000,
          },
        );
        clients.push(client);
        return { id, device, frames, reports, diffs, client };
      }),
    );
    // Let the connect lifecycle events settle so they are not counted.
    await cloud.idle();

    const countsBefore = await fetchRequestCounts(cloud.endpoints.dynamodbEndpoint);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(
      devices.map(async ({ id, frames, client }) => {
        for (const frame of frames) await client.publishAsync(topics.report(id), frame, { qos: 1 });
      }),
    );
    const publishMs = performance.now() - t0;

    const queueEmpty = async () => {
      const { Attributes: a } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: cloud.queues.reports.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return a?.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
    };
    const allStored = async () => {
      for (const { id, device } of devices) {
        const meta = await domain.getMeta(deps, id);
        if (meta?.epoch !== device.seqStore.epoch || meta.seq !== device.seqStore.current) return false;
      }
      return true;
    };
    const deadline = Date.now() + 120_000;
    let countsAfter: Record<string, number> | undefined;
    let cpu: NodeJS.CpuUsage | undefined;
    for (;;) {
      await cloud.idle();
      // Counted when the queue is drained, before this bench's own reads (allStored).
      if (await queueEmpty()) {
        cpu ??= process.cpuUsage(cpu0);
        countsAfter ??= await fetchRequestCounts(cloud.endpoints.dynamodbEndpoint);
        if (await allStored()) break;
      }
      if (Date.now() > deadline) throw new Error('throughput bench: reports not applied within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const wallMs = performance.now() - t0;

    // Outside the clock: the state the pipeline stored is the devices' state.
    let verifiedDevices = 0;
    for (const { id, device } of devices) {
      const stored = await domain.getInventory(deps, id);
      if (
        stored.seq === device.seqStore.current &&
        JSON.stringify(sortKeys(stored.sections)) === JSON.stringify(sortKeys(device.host.sections()))
      )
        verifiedDevices++;
    }

    const inOrderRequests = await countInOrderRequests(
      cloud,
      domain,
      deps,
      devices.map((d) => ({ deviceId: `${d.id}-inorder`, reports: d.reports })),
    );

    const reports = devices.reduce((n, d) => n + d.frames.length, 0);
    const diffs = devices.reduce((n, d) => n + d.diffs, 0);
    const dynamodbRequests = Object.fromEntries(
      Object.entries(countsAfter ?? {})
        .map(([op, n]) => [op, n - (countsBefore[op] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    const totalRequests = Object.values(dynamodbRequests).reduce((a, b) => a + b, 0);
    return {
      fleet: options,
      reports,
      fulls: reports - diffs,
      diffs,
      publishMs: Math.round(publishMs),
      wallMs: Math.round(wallMs),
      reportsPerSec: round1(reports / (wallMs / 1000)),
      diffsPerSec: round1(diffs / (wallMs / 1000)),
      verifiedDevices,
      dynamodbRequests,
      dynamodbRequestsPerReport: round1(totalRequests / reports),
      inOrderRequestsPerReport: round1(inOrderRequests / reports),
      cpuMsPerRequest:
        cpu === undefined ? 0 : Math.round(((cpu.user + cpu.system) / 1000 / totalRequests) * 100) / 100,
      environment: ENVIRONMENT_NOTE,
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    sqs.destroy();
  }
}

/** DynamoDB requests the emulator serves while each device's reports are applied in order, devices 4 at a time. */
async function countInOrderRequests(
  cloud: LocalCloud,
  domain: Domain,
  deps: InventoryDeps,
  devices: readonly { deviceId: string; reports: readonly Report[] }[],
): Promise<number> {
  const before = await fetchRequestCounts(cloud.endpoints.dynamodbEndpoint);
  await pool(devices, 4, async ({ deviceId, reports }) => {
    for (const report of reports) {
      await domain.ingestReport(deps, {
        deviceId,
        report,
        raw: encodeFramed(report),
        receivedAt: Date.now(),
      });
    }
  });
  const after = await fetchRequestCounts(cloud.endpoints.dynamodbEndpoint);
  return Object.entries(after).reduce((sum, [op, n]) => sum + n - (before[op] ?? 0), 0);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function formatThroughputTable(r: ThroughputBenchResult): string {
  const f = r.fleet;
  const rows = [
    ['reports applied (full + diffs)', `${r.reports} (${r.fulls} + ${r.diffs})`],
    ['publish time (first publish → last PUBACK)', `${(r.publishMs / 1000).toFixed(2)} s`],
    ['wall time (first publish → all stored)', `${(r.wallMs / 1000).toFixed(2)} s`],
    ['reports/s end to end', r.reportsPerSec.toFixed(1)],
    ['diffs/s end to end', r.diffsPerSec.toFixed(1)],
    ['devices whose stored state = device state', `${r.verifiedDevices}/${f.devices}`],
    ['DynamoDB requests per report (counted at the emulator)', r.dynamodbRequestsPerReport.toFixed(1)],
    ['  the same reports applied in order, one device at a time', r.inOrderRequestsPerReport.toFixed(1)],
  ];
  const byOperation = Object.entries(r.dynamodbRequests)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  return [
    `merge throughput, broker → rule → SQS → handler → DynamoDB: ${f.devices} MQTT devices (mTLS, QoS 1), 1 full + ${f.diffsPerDevice} diffs each, back to back${f.warmup ? ` (after a warm-up round: ${f.warmup.devices} devices, 1 full + ${f.warmup.diffsPerDevice} diffs each)` : ''}`,
    table(['throughput through the local cloud', 'value'], rows),
    `DynamoDB requests during the run: ${byOperation}`,
    `note: ${r.environment}`,
  ].join('\n');
}
