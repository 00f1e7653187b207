/**
 * Inventory in the store, on the real local cloud (dynalite, the SQS/S3 emulator, the mTLS broker, the topic rule,
 * the SQS poller and the report handler, all in this process, the handlers and dynalite in worker threads):
 *
 *   store       DynamoDB capacity per applied report, from ReturnConsumedCapacity: reports of a seeded
 *               simulated fleet applied with ingestReport() directly, next to the naive design (the
 *               whole state rewritten as one item, measureWholeItemRewrite) for each device.
 *   throughput  devices publish a full report then diffs over MQTT (QoS 1) as fast as the broker
 *               accepts; wall time from the first publish until the `reports` queue is drained and
 *               every device's stored sequence is its last published one. The DynamoDB requests the
 *               pipeline made in that time are counted at the emulator (local/dynamodb-counter.ts).
 *   efficiency  reports/s × DynamoDB requests per report ÷ the raw request rate measured right after
 *               in the same run: the handlers' own DynamoDB client, from as many threads as the
 *               handler pool, doing nothing but requests (dynamodb-sdk-raw.ts). How much of what a
 *               handler could drive the emulator at the pipeline delivers. The emulator's ceiling
 *               with a thin client (dynamodb-raw.ts) is reported next to it.
 *
 * Handler modules build their AWS clients from process.env at import, so everything under lambdas/
 * is imported dynamically, after the cloud has set the environment.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import { buildReport, MemorySequenceStore, type ReportBaseline } from '#agent/inventory/index.ts';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import { type LocalCloud, startLocalCloud } from '#local/cloud.ts';
import { issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import { fetchRequestCounts } from '#local/dynamodb-counter.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import type { Report } from '#protocol/inventory.ts';
import { topics } from '#protocol/topics.ts';
import { createRng, hashString, type Rng, SimulatedHost } from '#simulator/inventory/generated-host.ts';
import { type RawDynamoDbOptions, runRawDynamoDbBench } from './dynamodb-raw.ts';
import { runSdkRawBench, type SdkRawOptions, type SdkRawResult } from './dynamodb-sdk-raw.ts';
import { type EfficiencyResult, type EfficiencyRound, efficiencyOf, roundOf } from './efficiency.ts';
import { type Distribution, distribution } from './inventory-wire.ts';
import { table } from './table.ts';

const AGENT_VERSION = '0.1.0';
const COLLECTED_AT_BASE = Date.UTC(2024, 5, 1);
const TARGET_RATIO = 1 / 10;
/** Reboot storm: an agent start's full report equal (or nearly equal) to the stored state. */
const REBOOT_TARGET_WRITE_UNITS = 10;

export interface StoreBenchOptions {
  devices: number;
  steps: number;
  seed: number;
  /** Devices applied at the same time (each device's reports stay in order). */
  concurrency: number;
}

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

export interface StoreBenchResult {
  fleet: StoreBenchOptions;
  full: { count: number; writeUnits: Distribution; readUnits: Distribution };
  diff: { count: number; writeUnits: Distribution; readUnits: Distribution };
  /** Outcome of every ingestReport call (all 'applied' when nothing interfered). */
  outcomes: Record<string, number>;
  wholeItemRewrite: { writeUnits: Distribution; stateBytes: Distribution };
  /**
   * Write units of an agent start's full report, after the churn steps: unchanged state from the
   * same epoch (restart), from a new epoch (reinstall, lost sequence store), and one package added.
   */
  reboot: {
    unchangedSameEpoch: Distribution;
    unchangedNewEpoch: Distribution;
    onePackageAdded: Distribution;
    /** Read units of the unchanged full report from the same epoch. */
    unchangedReadUnits: Distribution;
    target: { writeUnitsMax: number; met: boolean };
  };
  /** Median WCU per diff / median WCU of rewriting the whole state as one item. */
  ratio: number;
  target: { ratioMax: number; met: boolean };
  elapsedMs: number;
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

export interface CloudBenchResult {
  store: StoreBenchResult;
  /** The round whose efficiency is the median of the rounds. */
  throughput: ThroughputBenchResult;
  efficiency: EfficiencyResult;
  /** Every round, in the order run. */
  rounds: EfficiencyRound[];
}

const ENVIRONMENT_NOTE =
  'single shared 2-core machine; one Node process: broker, rule engine and SQS/S3 (local/sqs-s3.ts) in the main thread, DynamoDB (dynalite) and the handlers (2 threads, as npm start) in worker threads: a floor for the pipeline logic, not an AWS figure';

type Domain = {
  ingestReport: typeof import('#lambdas/inventory/apply.ts').ingestReport;
  inventoryDeps: () => InventoryDeps;
  measureWholeItemRewrite: typeof import('#bench/whole-item-cost.ts').measureWholeItemRewrite;
  getInventory: typeof import('#lambdas/inventory/read-model.ts').getInventory;
  getMeta: typeof import('#lambdas/inventory/persistence.ts').getMeta;
  destroyClients: () => void;
};

async function loadDomain(): Promise<Domain> {
  const [apply, clients, measure, api, store, dynamodb, s3, iotData] = await Promise.all([
    import('#lambdas/inventory/apply.ts'),
    import('#lambdas/inventory/handler-deps.ts'),
    import('#bench/whole-item-cost.ts'),
    import('#lambdas/inventory/read-model.ts'),
    import('#lambdas/inventory/persistence.ts'),
    import('#lambdas/commons/aws/dynamodb.ts'),
    import('#lambdas/commons/aws/s3.ts'),
    import('#lambdas/commons/aws/iot-data.ts'),
  ]);
  return {
    ingestReport: apply.ingestReport,
    inventoryDeps: () => clients.inventoryDeps({ archive: s3.s3, publish: iotData.publishToDevice }),
    measureWholeItemRewrite: measure.measureWholeItemRewrite,
    getInventory: api.getInventory,
    getMeta: store.getMeta,
    destroyClients: () => {
      dynamodb.dynamodb.destroy();
      s3.s3.destroy();
    },
  };
}

/** A seeded simulated device as the agent drives it: host, churn, sequence store, baseline. */
class BenchDevice {
  readonly host: SimulatedHost;
  readonly seqStore: MemorySequenceStore;
  private readonly churn: Rng;
  private baseline: ReportBaseline | undefined;
  private step = 0;

  constructor(
    readonly id: string,
    seed: number,
  ) {
    const deviceSeed = (seed ^ hashString(id)) >>> 0;
    this.host = new SimulatedHost(deviceSeed, { hostname: id });
    this.churn = createRng(deviceSeed ^ 0x5eed);
    this.seqStore = new MemorySequenceStore(`epoch-${id}`);
  }

  /**
   * The full report an agent sends when it starts: for the current state (plus one installed
   * package when `addPackage`), from this device's sequence store or another one (a reinstall).
   */
  startReport(seqStore: MemorySequenceStore = this.seqStore, addPackage = false): Report {
    const sections = this.host.sections();
    if (addPackage && sections.software) {
      sections.software['bench-added:amd64'] = { name: 'bench-added', version: '1.0.0', source: 'dpkg' };
    }
    const built = buildReport(
      undefined,
      { sections, errors: [], collectedAt: COLLECTED_AT_BASE + this.step * 900_000 },
      seqStore,
      { agentVersion: AGENT_VERSION },
    );
    if (built === undefined) throw new Error('a start always builds a full report');
    return built.report;
  }

  /** The report for the current state (after one churn step unless it is the first), or undefined. */
  next(): Report | undefined {
    if (this.step > 0) this.host.step(this.churn);
    const built = buildReport(
      this.baseline,
      { sections: this.host.sections(), errors: [], collectedAt: COLLECTED_AT_BASE + this.step * 900_000 },
      this.seqStore,
      { agentVersion: AGENT_VERSION },
    );
    this.step++;
    if (built === undefined) return undefined;
    this.baseline = built.baseline;
    return built.report;
  }
}

const deviceIds = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, d) => `${prefix}-${String(d).padStart(4, '0')}`);

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

async function runStoreBench(domain: Domain, options: StoreBenchOptions): Promise<StoreBenchResult> {
  const started = performance.now();
  const deps = domain.inventoryDeps();
  const full = { write: [] as number[], read: [] as number[] };
  const diff = { write: [] as number[], read: [] as number[] };
  const outcomes: Record<string, number> = {};
  const wholeUnits: number[] = [];
  const wholeBytes: number[] = [];
  const reboot = {
    same: [] as number[],
    sameReads: [] as number[],
    newEpoch: [] as number[],
    added: [] as number[],
  };

  await pool(deviceIds('store', options.devices), options.concurrency, async (deviceId) => {
    const device = new BenchDevice(deviceId, options.seed);
    const ingest = async (report: Report) => {
      const result = await domain.ingestReport(deps, {
        deviceId,
        report,
        raw: encodeFramed(report),
        receivedAt: Date.now(),
      });
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      return result;
    };
    for (let step = 0; step <= options.steps; step++) {
      const report = device.next();
      if (report === undefined) continue;
      const result = await ingest(report);
      const into = report.kind === 'full' ? full : diff;
      into.write.push(result.writeUnits);
      into.read.push(result.readUnits);
    }
    const whole = await domain.measureWholeItemRewrite(deps, deviceId);
    wholeUnits.push(whole.writeUnits);
    wholeBytes.push(whole.stateBytes);

    const start = async (report: Report, into: number[], reads?: number[]) => {
      const result = await ingest(report);
      into.push(result.writeUnits);
      reads?.push(result.readUnits);
    };
    await start(device.startReport(), reboot.same, reboot.sameReads);
    const reinstalled = new MemorySequenceStore(`reinstalled-${deviceId}`);
    await start(device.startReport(reinstalled), reboot.newEpoch);
    await start(device.startReport(reinstalled, true), reboot.added);
  });

  const diffWrite = distribution(diff.write);
  const wholeWrite = distribution(wholeUnits);
  const ratio = wholeWrite.median > 0 ? diffWrite.median / wholeWrite.median : Number.NaN;
  return {
    fleet: options,
    full: {
      count: full.write.length,
      writeUnits: distribution(full.write),
      readUnits: distribution(full.read),
    },
    diff: { count: diff.write.length, writeUnits: diffWrite, readUnits: distribution(diff.read) },
    outcomes,
    wholeItemRewrite: { writeUnits: wholeWrite, stateBytes: distribution(wholeBytes) },
    reboot: {
      unchangedSameEpoch: distribution(reboot.same),
      unchangedNewEpoch: distribution(reboot.newEpoch),
      onePackageAdded: distribution(reboot.added),
      unchangedReadUnits: distribution(reboot.sameReads),
      target: {
        writeUnitsMax: REBOOT_TARGET_WRITE_UNITS,
        met: [...reboot.same, ...reboot.newEpoch].every((u) => u <= REBOOT_TARGET_WRITE_UNITS),
      },
    },
    ratio,
    target: { ratioMax: TARGET_RATIO, met: ratio <= TARGET_RATIO },
    elapsedMs: Math.round(performance.now() - started),
  };
}

async function runThroughputBench(
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

const round1 = (n: number) => Math.round(n * 10) / 10;

export interface InventoryCloudBenchOptions {
  store: StoreBenchOptions;
  throughput: ThroughputBenchOptions;
  raw: Omit<SdkRawOptions, 'threads'>;
  ceiling: RawDynamoDbOptions;
  /** Handler worker threads (npm start runs 2); the raw baseline uses as many. */
  lambdaWorkers: number;
}

/** What `npm run bench` and `npm run bench:inventory` run. */
export const INVENTORY_CLOUD_BENCH: InventoryCloudBenchOptions = {
  store: { devices: 20, steps: 30, seed: 20240601, concurrency: 4 },
  throughput: {
    devices: 20,
    diffsPerDevice: 20,
    seed: 20240602,
    warmup: { devices: 20, diffsPerDevice: 20 },
    rounds: 5,
  },
  raw: { concurrency: 16, durationMs: 5000, itemBytes: 1024 },
  ceiling: { concurrency: 32, durationMs: 5000, itemBytes: 1024 },
  // As npm start runs the local cloud.
  lambdaWorkers: 2,
};

/** Starts a local cloud in a temp dir, runs both benches on it, stops it and removes the dir. */
export async function runInventoryCloudBench(options: InventoryCloudBenchOptions): Promise<CloudBenchResult> {
  // Reports here arrive in order or are merely reordered: no gap may turn into a resync.
  process.env.INVENTORY_GAP_GRACE_SEC = '3600';
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-bench-'));
  let cloud: LocalCloud | undefined;
  let domain: Domain | undefined;
  try {
    cloud = await startLocalCloud({
      dataDir,
      ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
      log: 'silent',
      lambdaWorkers: options.lambdaWorkers,
    });
    domain = await loadDomain();
    const store = await runStoreBench(domain, options.store);
    const table = domain.inventoryDeps().table;
    // Each round is measured between two runs of the baseline, and the higher of the two is kept:
    // load from elsewhere on a shared machine then lowers the efficiency, never raises it.
    const rawOptions = { ...options.raw, threads: options.lambdaWorkers };
    const { warmup, rounds = 1 } = options.throughput;
    if (warmup) {
      await runThroughputBench(
        cloud,
        domain,
        { ...options.throughput, ...warmup, seed: options.throughput.seed + 1 },
        'warm',
      );
    }
    let rawBefore = await runSdkRawBench(cloud.env, table, rawOptions);
    const timed: { throughput: ThroughputBenchResult; raw: [SdkRawResult, SdkRawResult] }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const throughput = await runThroughputBench(cloud, domain, options.throughput, `tput${round}`);
      const rawAfter = await runSdkRawBench(cloud.env, table, rawOptions);
      timed.push({ throughput, raw: [rawBefore, rawAfter] });
      rawBefore = rawAfter;
    }
    const emulatorCeiling = await runRawDynamoDbBench(
      cloud.endpoints.dynamodbEndpoint,
      table,
      options.ceiling,
    );
    const results = timed.map((t) => ({
      ...t,
      efficiency: efficiencyOf(t.throughput, t.raw, emulatorCeiling),
    }));
    const median = [...results].sort((a, b) => a.efficiency.efficiency - b.efficiency.efficiency)[
      Math.floor(results.length / 2)
    ] as (typeof results)[number];
    return {
      store,
      throughput: median.throughput,
      efficiency: median.efficiency,
      rounds: results.map((r) => roundOf(r.throughput, r.efficiency)),
    };
  } finally {
    await cloud?.stop();
    domain?.destroyClients();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatStoreTable(r: StoreBenchResult): string {
  const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const row = (label: string, d: Distribution, ref = ''): string[] => [
    label,
    n(d.median),
    n(d.p95),
    n(d.max),
    ref,
  ];
  const rows = [
    row('write units per diff', r.diff.writeUnits, `≤ ${n(r.wholeItemRewrite.writeUnits.median / 10)}`),
    row('write units per full report (first)', r.full.writeUnits),
    row(
      'write units for an unchanged full report (restart)',
      r.reboot.unchangedSameEpoch,
      `≤ ${r.reboot.target.writeUnitsMax}`,
    ),
    row(
      'write units for an unchanged full report (new epoch)',
      r.reboot.unchangedNewEpoch,
      `≤ ${r.reboot.target.writeUnitsMax}`,
    ),
    row('write units for a full report, one package added', r.reboot.onePackageAdded),
    row('read units per diff', r.diff.readUnits),
    row('read units for an unchanged full report (restart)', r.reboot.unchangedReadUnits),
    row('read units per full report (first)', r.full.readUnits),
    row('naive: whole state as one item, WCU', r.wholeItemRewrite.writeUnits, 'per report'),
    row('  its size (KB)', {
      median: round1(r.wholeItemRewrite.stateBytes.median / 1024),
      p95: round1(r.wholeItemRewrite.stateBytes.p95 / 1024),
      max: round1(r.wholeItemRewrite.stateBytes.max / 1024),
    }),
  ];
  const f = r.fleet;
  const outcomes = Object.entries(r.outcomes)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return [
    `DynamoDB capacity per report (dynalite, ReturnConsumedCapacity): ${f.devices} devices × ${f.steps} churn steps, seed ${f.seed}`,
    table(['inventory in DynamoDB', 'median', 'p95', 'max', 'target/ref'], rows),
    `${r.diff.count} diffs, ${r.full.count} full reports (${outcomes}); ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `reboot storm: an unchanged full report writes ≤ ${r.reboot.target.writeUnitsMax} units → ${r.reboot.target.met ? 'met' : 'NOT met'}`,
    `median WCU per diff / median WCU of a whole-item rewrite = ${n(r.diff.writeUnits.median)} / ${n(r.wholeItemRewrite.writeUnits.median)} = ${r.ratio.toFixed(3)} (target ≤ ${r.target.ratioMax.toFixed(3)}) → ${r.target.met ? 'met' : 'NOT met'}`,
  ].join('\n');
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
