/**
 * `npm run bench:fleet -- --devices 500,1000,2000`: runs `npm start -- --devices N` (the real
 * command, its own process group, a temp data dir, ports from --port-base) and measures what a
 * user sees: seconds from the start until all N devices are `online` in GET /devices, the latency
 * of GET /devices?limit=200 while they run, entries in the dead-letter queues, and the RSS and
 * CPU of the cloud process and of the fleet process at steady state, and the simulated analyzers'
 * batches per second received and accepted by the cloud (bench/fleet-analyzer.ts), with the
 * analyzer batches dead-lettered (the fleet sends only valid ones). Figures, not assertions: they
 * go to bench/results/fleet-<N>.json. Not part of `npm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { operatorDeadLetterQueues, queues } from '#wiring/fleet.ts';
import { type AnalyzerCounts, analyzerCounts, analyzerDeadLetters } from './fleet-analyzer.ts';

const REPO_ROOT = join(import.meta.dirname, '..');
const RESULTS_DIR = join(import.meta.dirname, 'results');
const CLOCK_TICKS_PER_SEC = 100;
const POLL_MS = 2_000;

interface Settings {
  readonly devices: number[];
  readonly portBase: number;
  /** Give up waiting for all devices online after this long. */
  readonly onlineTimeoutSec: number;
  /** Measured after all devices are online. */
  readonly steadySec: number;
  readonly analyzer: boolean;
}

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '500,1000,2000' },
      'port-base': { type: 'string', default: '23000' },
      'online-timeout': { type: 'string', default: '600' },
      steady: { type: 'string', default: '90' },
      // The same fleet without the session analyzer, to compare the load it adds.
      'no-analyzer': { type: 'boolean', default: false },
    },
  });
  return {
    devices: values.devices.split(',').map(Number),
    portBase: Number(values['port-base']),
    onlineTimeoutSec: Number(values['online-timeout']),
    steadySec: Number(values.steady),
    analyzer: !values['no-analyzer'],
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

function distribution(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? null,
  };
}

/** Every process under `root`, with its command line. */
function descendants(root: number): Array<{ pid: number; cmdline: string }> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: Array<{ pid: number; cmdline: string }> = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      try {
        found.push({
          pid: child,
          cmdline: readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' '),
        });
      } catch {
        continue;
      }
      walk(child);
    }
  };
  walk(root);
  return found;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Resident memory, and what it is made of: anonymous memory is the process's own (heaps, buffers);
 * file-backed pages are mostly LevelDB's memory-mapped tables (dynalite, the local SQS/S3), page
 * cache that grows with the data on disk and that the kernel takes back under pressure.
 */
function memoryMb(pid: number): { rssMb: number; rssAnonMb: number; rssFileMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024);
  return { rssMb: mb('VmRSS'), rssAnonMb: mb('RssAnon'), rssFileMb: mb('RssFile') };
}

interface Endpoints {
  apiUrl: string;
  apiToken: string;
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  region: string;
}

function sqsClient(endpoints: Endpoints): SQSClient {
  return new SQSClient({
    region: endpoints.region,
    endpoint: endpoints.sqsEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
}

async function countAnalyzer(endpoints: Endpoints): Promise<AnalyzerCounts> {
  const sqs = sqsClient(endpoints);
  try {
    return await analyzerCounts(endpoints, sqs);
  } finally {
    sqs.destroy();
  }
}

/** Batches per second over the steady window: received by the cloud (counted, queued or dead-lettered) and counted. */
function analyzerRates(
  before: AnalyzerCounts,
  after: AnalyzerCounts,
  deadLettered: number,
  windowSec: number,
) {
  const rate = (n: number): number => Math.round((n / windowSec) * 10) / 10;
  return {
    sessionsAtEnd: after.sessions,
    batchesReceivedPerSec: rate(after.accepted + after.queued - before.accepted - before.queued),
    batchesAcceptedPerSec: rate(after.accepted - before.accepted),
    acceptedAtEnd: after.accepted,
    queuedAtEnd: after.queued,
    missingAtEnd: after.missing,
    deadLettered,
  };
}

async function listDevices(
  endpoints: Endpoints,
  { firstPageOnly = false } = {},
): Promise<{ online: number; total: number; firstPageMs: number }> {
  let cursor: string | undefined;
  let online = 0;
  let total = 0;
  let firstPageMs = 0;
  do {
    const url = new URL(`${endpoints.apiUrl}/devices`);
    url.searchParams.set('limit', '200');
    if (cursor) url.searchParams.set('cursor', cursor);
    const started = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${endpoints.apiToken}` } });
    const body = (await res.json()) as { items?: Array<{ status?: string }>; nextCursor?: string };
    if (total === 0 && cursor === undefined) firstPageMs = performance.now() - started;
    if (!res.ok) throw new Error(`GET /devices answered ${res.status}: ${JSON.stringify(body)}`);
    for (const item of body.items ?? []) {
      total++;
      if (item.status === 'online') online++;
    }
    cursor = firstPageOnly ? undefined : (body.nextCursor ?? undefined);
  } while (cursor);
  return { online, total, firstPageMs };
}

async function deadLetters(endpoints: Endpoints): Promise<Record<string, number>> {
  const sqs = sqsClient(endpoints);
  const counts: Record<string, number> = {};
  try {
    // Every dead-letter queue operators see, from the wiring.
    for (const spec of Object.values(operatorDeadLetterQueues).map((name) => queues[name])) {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: spec.localName }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      counts[spec.localName] =
        Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
  } finally {
    sqs.destroy();
  }
  return counts;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function runOne(devices: number, opts: Settings) {
  const dataDir = mkdtempSync(join(tmpdir(), `fleetpulse-bench-fleet-${devices}-`));
  const ports = {
    FLEETPULSE_MQTT_PORT: opts.portBase,
    FLEETPULSE_API_PORT: opts.portBase + 1,
    FLEETPULSE_DYNAMODB_PORT: opts.portBase + 2,
    FLEETPULSE_SQS_S3_PORT: opts.portBase + 3,
    FLEETPULSE_IOT_DATA_PORT: opts.portBase + 4,
    FLEETPULSE_MQTT_ALPN_PORT: opts.portBase + 5,
  };
  const output: string[] = [];
  const started = performance.now();
  const elapsedSec = (): number => Math.round((performance.now() - started) / 100) / 10;
  const child = spawn(
    join(REPO_ROOT, 'node_modules/.bin/tsx'),
    ['local/main.ts', '--devices', String(devices), ...(opts.analyzer ? [] : ['--no-analyzer'])],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        FLEETPULSE_DATA_DIR: dataDir,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: stopped like a terminal's Ctrl-C stops `npm start`.
      detached: true,
    },
  );
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const stop = async (): Promise<number> => {
    const stopStarted = performance.now();
    if (child.pid) process.kill(-child.pid, 'SIGINT');
    const killer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 60_000);
    await exited(child);
    clearTimeout(killer);
    return Math.round((performance.now() - stopStarted) / 100) / 10;
  };

  try {
    let endpoints: Endpoints | undefined;
    let bannerSec: number | null = null;
    let allOnlineSec: number | null = null;
    const latencyWhileStarting: number[] = [];
    const progress: Array<{ sec: number; online: number }> = [];
    while (elapsedSec() < opts.onlineTimeoutSec) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output.join('')}`);
      if (bannerSec === null && output.join('').includes('local cloud is running')) bannerSec = elapsedSec();
      if (!endpoints) {
        try {
          endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
        } catch {
          await sleep(POLL_MS);
          continue;
        }
      }
      try {
        const listed = await listDevices(endpoints);
        latencyWhileStarting.push(listed.firstPageMs);
        progress.push({ sec: elapsedSec(), online: listed.online });
        if (listed.online >= devices) {
          allOnlineSec = elapsedSec();
          break;
        }
      } catch (err) {
        progress.push({ sec: elapsedSec(), online: -1 });
        output.push(`bench: ${(err as Error).message}\n`);
      }
      await sleep(POLL_MS);
    }
    if (!endpoints)
      throw new Error(`no endpoints.json after ${opts.onlineTimeoutSec} s:\n${output.join('')}`);

    // Steady state: CPU over the window, RSS at its end, API latency throughout.
    const procs = child.pid ? descendants(child.pid) : [];
    const cloud = procs.find((p) => p.cmdline.includes('local/main.ts') && p.cmdline.includes('--import'));
    const fleet = procs.find((p) => p.cmdline.includes('fleet-process.ts'));
    const ticks0 = { cloud: cloud ? cpuTicks(cloud.pid) : 0, fleet: fleet ? cpuTicks(fleet.pid) : 0 };
    const analyzerBefore = await countAnalyzer(endpoints);
    const steadyStarted = performance.now();
    const latencySteady: number[] = [];

    // One page per poll, as an operator's console would; the whole fleet is counted at the end.
    while (performance.now() - steadyStarted < opts.steadySec * 1000) {
      latencySteady.push((await listDevices(endpoints, { firstPageOnly: true })).firstPageMs);
      await sleep(POLL_MS);
    }
    const onlineAtEnd = (await listDevices(endpoints)).online;
    const analyzerAfter = await countAnalyzer(endpoints);
    const windowSec = (performance.now() - steadyStarted) / 1000;
    const cpuPercent = (pid: number | undefined, before: number): number | null =>
      pid === undefined
        ? null
        : Math.round(((cpuTicks(pid) - before) / CLOCK_TICKS_PER_SEC / windowSec) * 100);
    const steady = {
      windowSec: Math.round(windowSec),
      onlineAtEnd,
      cloud: cloud
        ? { cpuPercentOfOneCore: cpuPercent(cloud.pid, ticks0.cloud), ...memoryMb(cloud.pid) }
        : null,
      fleet: fleet
        ? { cpuPercentOfOneCore: cpuPercent(fleet.pid, ticks0.fleet), ...memoryMb(fleet.pid) }
        : null,
      listDevicesLimit200Ms: distribution(latencySteady),
    };
    const dlq = await deadLetters(endpoints);
    const sqs = sqsClient(endpoints);
    const analyzerLetters = await analyzerDeadLetters(sqs).finally(() => sqs.destroy());
    const deadLettered = Object.values(analyzerLetters).reduce((n, c) => n + c, 0);
    const analyzer = {
      ...analyzerRates(analyzerBefore, analyzerAfter, deadLettered, windowSec),
      // The fleet sends only valid batches: any reason here is a valid batch dead-lettered.
      deadLetterReasons: analyzerLetters,
    };
    const stopSec = await stop();
    const warnings = output
      .join('')
      .split('\n')
      .filter((line) => /warn|error|fail/i.test(line));
    return {
      devices,
      bannerSec,
      allOnlineSec,
      listDevicesLimit200MsWhileStarting: distribution(latencyWhileStarting),
      steady,
      deadLetters: dlq,
      analyzer,
      stopSec,
      warningLines: warnings.length,
      firstWarnings: warnings.slice(0, 10),
      progress,
    };
  } finally {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // This process's own SQS client: the SDK's notice about Node 22 is not a finding of the bench.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const opts = settings();
  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const devices of opts.devices) {
    console.log(`fleet bench: ${devices} devices...`);
    const result = await runOne(devices, opts);
    const { progress: _progress, ...summary } = result;
    console.log(JSON.stringify(summary, null, 2));
    const file = join(RESULTS_DIR, `fleet-${devices}${opts.analyzer ? '' : '-no-analyzer'}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ generatedBy: 'npm run bench:fleet', measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`,
    );
    console.log(`figures written to ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
