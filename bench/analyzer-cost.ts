/**
 * The analyzer path's cost per million batches, from counts measured on the real handler code
 * against the local cloud's emulators (dynalite, the SQS/S3 emulator), for the deployed
 * configuration (wiring/analyzer.ts: up to 1,000 records per invocation).
 *
 * The local poller hands an invocation at most 10 records, so this bench plays the event source
 * itself: seeded simulated sessions (simulator/analyzer/) each publish one batch per round, the
 * rule's SendMessage puts every rule event on the analyzer queue, ReceiveMessage by 10 gathers an
 * event of the deployed size, lambdas/analyzer.ts runs on it in this process, DeleteMessageBatch
 * acknowledges it; then the analyzerTables message goes the same way to lambdas/analyzer-tables.ts.
 * One round is one invocation with one batch from each of `sessions` sessions: a session uploads
 * every 5 minutes, so a 20-second window holds one batch per session.
 *
 * Counted: every request the handlers' own AWS clients send (SDK middleware; DynamoDB with
 * ReturnConsumedCapacity, which dynalite computes as DynamoDB does), every SQS request the rule and
 * the event source make, handler wall time per invocation, and what S3 and DynamoDB hold at the end.
 * Priced by analyzer-prices.ts. `npm run bench:analyzer-cost` runs it alone.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { createTables, startDynamoDb } from '#local/dynamodb.ts';
import { applyLambdaEnvironment, lambdaEnvironment } from '#local/environment.ts';
import { buildLambdaContext } from '#local/lambda-context.ts';
import { createBuckets, createQueues, startSqsS3 } from '#local/sqs-s3.ts';
import type { AnalyzerSample } from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { hashString } from '#simulator/rng.ts';
import { functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { buildRuleEvent } from '#wiring/rule-event.ts';
import { deleteEvent, receiveEvent, rulesFor, sqsChunks } from './analyzer-event-source.ts';
import {
  type CountsPerBatch,
  DYNAMODB_ITEM_OVERHEAD_BYTES,
  FIXED_NOTE,
  type LineItem,
  oneObjectPerBatch,
  PRICES,
  PRICES_CHECKED,
  priceCounts,
  totalOf,
} from './analyzer-prices.ts';
import { storedBytes } from './analyzer-stored.ts';
import { type Distribution, distribution } from './inventory-wire.ts';
import { type RequestTally, tallyDelta, tallyRequests } from './request-tally.ts';
import { table } from './table.ts';

export interface AnalyzerCostOptions {
  /** Sessions, each with one batch per invocation; the deployed batch size (1,000) by default. */
  readonly sessions?: number;
  /** Invocations (batches per session); the first creates the summaries, the rest are priced. */
  readonly rounds: number;
  /** Months of storage charged per batch. */
  readonly retentionMonths: number;
  /** A session's summary item is stored once for all its batches: 96 is an 8-hour working day. */
  readonly batchesPerSession: number;
  readonly seed: number;
}

const TARGET_USD_PER_MILLION = 2.5;
const IOT_UNIT = 5 * 1024;
const SAMPLE_SEC = 15;
const UPLOAD_SEC = 300;

export interface RoundCounts {
  batches: number;
  ruleSendChunks: number;
  analyzerReceiveDeleteChunks: number;
  tablesSqsChunks: number;
  analyzerMs: number;
  tablesMs: number;
  handlers: RequestTally;
}

export interface AnalyzerCostResult {
  options: Required<AnalyzerCostOptions>;
  configuration: { batchSize: number; windowSec: number; analyzerMemoryMb: number; tablesMemoryMb: number };
  /** Per round (invocation): what was counted. The first round creates the summaries. */
  rounds: RoundCounts[];
  frameBytes: Distribution;
  summaryItemBytes: Distribution;
  indexItemBytes: Distribution;
  perBatch: CountsPerBatch;
  ours: { items: LineItem[]; totalUsdPerMillion: number };
  oneObject: { items: LineItem[]; totalUsdPerMillion: number };
  target: { usdPerMillionMax: number; met: boolean };
  prices: { checked: string; table: typeof PRICES; notPerBatch: string };
  environment: string;
}

const ENVIRONMENT_NOTE =
  'handler wall time on a shared 2-core machine, the SQS/S3 emulator in the same thread and dynalite in a worker: an upper bound for the billed duration in AWS';

interface Handlers {
  analyzer: (event: SQSEvent, context: Context) => Promise<unknown>;
  tables: (event: SQSEvent, context: Context) => Promise<unknown>;
  tally: () => RequestTally;
  destroy: () => void;
}

/** The handlers, imported after the environment points their module-scope clients at the emulators. */
async function loadHandlers(): Promise<Handlers> {
  // Node 20 is what this machine runs; the SDK's notice about 2027 would only clutter the figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [analyzer, tablesHandler, dynamodb, s3, sqs] = await Promise.all([
    import('#lambdas/analyzer.ts'),
    import('#lambdas/analyzer-tables.ts'),
    import('#lambdas/commons/aws/dynamodb.ts'),
    import('#lambdas/commons/aws/s3.ts'),
    import('#lambdas/commons/aws/sqs.ts'),
  ]);
  const tally = tallyRequests({ dynamodb: dynamodb.dynamodb, s3: s3.s3, sqs: sqs.sqs });
  return {
    analyzer: (event, context) => analyzer.handler(event, context),
    tables: (event, context) => tablesHandler.handler(event, context),
    tally,
    destroy: () => {
      dynamodb.dynamodb.destroy();
      s3.s3.destroy();
      sqs.sqs.destroy();
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

export async function runAnalyzerCostBench(options: AnalyzerCostOptions): Promise<AnalyzerCostResult> {
  const analyzerSpec = functions.analyzer;
  const tablesSpec = functions.analyzerTables;
  const batchSize = analyzerSpec.trigger.batchSize;
  const sessions = options.sessions ?? batchSize;
  const opts = { ...options, sessions };
  const region = 'us-east-1';
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-analyzer-cost-'));
  const dynamo = await startDynamoDb({ dir: join(dataDir, 'dynamodb'), port: 0 });
  const sqsS3 = await startSqsS3({ port: 0, region, dir: join(dataDir, 'sqs-s3') });
  const config = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  // The bench's own clients (the rule, the event source, the final inventory): not counted.
  const ddbClient = new DynamoDBClient({ ...config, endpoint: dynamo.endpoint });
  const sqs = new SQSClient({ ...config, endpoint: sqsS3.endpoint, useQueueUrlAsEndpoint: false });
  const s3 = new S3Client({ ...config, endpoint: sqsS3.endpoint, forcePathStyle: true });
  let handlers: Handlers | undefined;
  try {
    await createTables(ddbClient);
    const queues = await createQueues(sqs);
    await createBuckets(s3);
    applyLambdaEnvironment(
      lambdaEnvironment({
        region,
        dynamodbEndpoint: dynamo.endpoint,
        sqsS3Endpoint: sqsS3.endpoint,
        iotDataEndpoint: 'http://127.0.0.1:9',
        queues,
        logLevel: 'silent',
        offlineGraceSec: 180,
      }),
    );
    handlers = await loadHandlers();

    const simulated = Array.from({ length: sessions }, (_, s) => {
      const seed = (options.seed ^ hashString(`cost-${s}`)) >>> 0;
      return {
        deviceId: `cost-${String(s).padStart(4, '0')}`,
        sessionId: `s${s}`,
        session: new SimulatedSession({
          seed,
          platform: s % 10 < 7 ? 'windows' : 'linux',
          // Every third session is one of many on a terminal server: fewer apps of its own.
          ...(s % 3 === 2 ? { workingApps: [2, 5] as const } : {}),
        }),
      };
    });
    const start = Date.UTC(2024, 5, 3, 8);
    const frameBytes: number[] = [];
    let iotUnits = 0;
    let rulesTriggered = 0;
    let actions = 0;
    const rounds: RoundCounts[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      let ruleSendChunks = 0;
      for (const [s, { deviceId, sessionId, session }] of simulated.entries()) {
        const samples: AnalyzerSample[] = [];
        // Sessions started at different moments: each one's window ends somewhere in the 5 minutes.
        let t = start + (round - 1) * UPLOAD_SEC * 1000 + (s % UPLOAD_SEC) * 1000;
        for (let i = 0; i < UPLOAD_SEC / SAMPLE_SEC; i++) {
          t += SAMPLE_SEC * 1000;
          samples.push(session.sample(t, SAMPLE_SEC));
        }
        const frame = encodeFramed(
          encodeAnalyzerBatch({
            sessionId,
            user: `CORP\\user${s}`,
            seq: round,
            intervalSec: SAMPLE_SEC,
            final: false,
            samples,
          }),
        );
        const ingestTopic = basicIngestTopic(topics.analyzer(deviceId, sessionId));
        const rules = rulesFor(ingestTopic);
        rulesTriggered += rules.triggered;
        actions += rules.actions;
        frameBytes.push(frame.byteLength);
        iotUnits += Math.ceil((frame.byteLength + Buffer.byteLength(ingestTopic)) / IOT_UNIT);
        // The rule's SQS action: one SendMessage of the rule event per batch.
        const body = JSON.stringify(
          buildRuleEvent({
            payload: frame,
            topic: topics.analyzer(deviceId, sessionId),
            clientId: deviceId,
            receivedAt: t,
          }),
        );
        await sqs.send(new SendMessageCommand({ QueueUrl: queues.analyzer.url, MessageBody: body }));
        ruleSendChunks += sqsChunks(Buffer.byteLength(body));
      }

      const before = handlers.tally();
      const received = await receiveEvent(sqs, queues.analyzer, batchSize, region);
      const analyzerRun = await timed(() =>
        (handlers as Handlers).analyzer(received.event, buildLambdaContext('analyzer', analyzerSpec, region)),
      );
      const deletes = await deleteEvent(sqs, queues.analyzer, received.event);

      const tablesEvent = await receiveEvent(
        sqs,
        queues.analyzerTables,
        tablesSpec.trigger.batchSize,
        region,
      );
      const tablesRun = await timed(() =>
        (handlers as Handlers).tables(
          tablesEvent.event,
          buildLambdaContext('analyzerTables', tablesSpec, region),
        ),
      );
      const tablesDeletes = await deleteEvent(sqs, queues.analyzerTables, tablesEvent.event);
      const handlerCounts = tallyDelta(handlers.tally(), before);
      rounds.push({
        batches: received.event.Records.length,
        ruleSendChunks,
        analyzerReceiveDeleteChunks: received.chunks + deletes,
        tablesSqsChunks: handlerCounts.sqs.sendChunks + tablesEvent.chunks + tablesDeletes,
        analyzerMs: Math.round(analyzerRun.ms),
        tablesMs: Math.round(tablesRun.ms),
        handlers: handlerCounts,
      });
    }

    const stored = await storedBytes(s3, ddbClient);
    const batchesTotal = rounds.reduce((n, r) => n + r.batches, 0);
    // Priced on the rounds where the summaries exist already: the steady state of a session.
    const priced = rounds.length > 1 ? rounds.slice(1) : rounds;
    const pricedBatches = priced.reduce((n, r) => n + r.batches, 0);
    const per = (f: (r: RoundCounts) => number) => priced.reduce((n, r) => n + f(r), 0) / pricedBatches;
    const gbSeconds = (ms: number, spec: FunctionSpec) => (Math.ceil(ms) / 1000) * (spec.memoryMb / 1024);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const perBatch: CountsPerBatch = {
      iotRulesTriggered: rulesTriggered / batchesTotal,
      iotActionsExecuted: actions / batchesTotal,
      iotMessageUnits: iotUnits / batchesTotal,
      sqsRuleSend: per((r) => r.ruleSendChunks),
      sqsAnalyzerReceiveDelete: per((r) => r.analyzerReceiveDeleteChunks),
      sqsTablesMessages: per((r) => r.tablesSqsChunks),
      analyzerInvocations: priced.length / pricedBatches,
      analyzerGbSeconds: per((r) => gbSeconds(r.analyzerMs, analyzerSpec)),
      tablesInvocations: priced.length / pricedBatches,
      tablesGbSeconds: per((r) => gbSeconds(r.tablesMs, tablesSpec)),
      s3Puts: per((r) => r.handlers.s3.puts),
      s3Gets: per((r) => r.handlers.s3.gets),
      s3Lists: per((r) => r.handlers.s3.lists),
      s3RawBytes: stored.rawBytes / batchesTotal,
      s3ParquetBytes: stored.parquetBytes / batchesTotal,
      dynamodbWriteUnits: per((r) => r.handlers.dynamodb.writeUnits),
      dynamodbReadUnits: per((r) => r.handlers.dynamodb.readUnits),
      dynamodbStoredBytes:
        mean(stored.indexItems) +
        DYNAMODB_ITEM_OVERHEAD_BYTES +
        (mean(stored.summaryItems) + DYNAMODB_ITEM_OVERHEAD_BYTES) / options.batchesPerSession,
    };
    const oursItems = priceCounts(perBatch, options.retentionMonths);
    const oneItems = priceCounts(oneObjectPerBatch(perBatch, mean(frameBytes)), options.retentionMonths);
    const total = totalOf(oursItems);
    return {
      options: opts,
      configuration: {
        batchSize,
        windowSec: analyzerSpec.trigger.maxBatchingWindowSec,
        analyzerMemoryMb: analyzerSpec.memoryMb,
        tablesMemoryMb: tablesSpec.memoryMb,
      },
      rounds,
      frameBytes: distribution(frameBytes),
      summaryItemBytes: distribution(stored.summaryItems),
      indexItemBytes: distribution(stored.indexItems),
      perBatch,
      ours: { items: oursItems, totalUsdPerMillion: total },
      oneObject: { items: oneItems, totalUsdPerMillion: totalOf(oneItems) },
      target: { usdPerMillionMax: TARGET_USD_PER_MILLION, met: total <= TARGET_USD_PER_MILLION },
      prices: { checked: PRICES_CHECKED, table: PRICES, notPerBatch: FIXED_NOTE },
      environment: ENVIRONMENT_NOTE,
    };
  } finally {
    handlers?.destroy();
    ddbClient.destroy();
    sqs.destroy();
    s3.destroy();
    await sqsS3.stop();
    await dynamo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatAnalyzerCostTable(r: AnalyzerCostResult): string {
  const count = (n: number) =>
    n === 0 ? '0' : n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(2);
  const usd = (n: number) => `$${n.toFixed(n < 0.01 && n > 0 ? 4 : 3)}`;
  const rows = r.ours.items.map((item, i) => {
    const one = r.oneObject.items[i];
    return [
      item.name,
      count(item.count),
      usd(item.usdPerMillion),
      count(one?.count ?? 0),
      usd(one?.usdPerMillion ?? 0),
    ];
  });
  rows.push([
    'total per million batches',
    '',
    usd(r.ours.totalUsdPerMillion),
    '',
    usd(r.oneObject.totalUsdPerMillion),
  ]);
  const o = r.options;
  const c = r.configuration;
  const steady = r.rounds.slice(1);
  const ms = (f: (x: RoundCounts) => number) => distribution(steady.map(f));
  return [
    `analyzer path cost, measured per batch on the real handlers against the local emulators: ${o.sessions} sessions × ${o.rounds} invocations (batch size ${c.batchSize}, window ${c.windowSec} s), seed ${o.seed}`,
    table(['line item (per batch)', 'ours', 'ours $/M', 'one object', 'one obj $/M'], rows),
    `storage: ${o.retentionMonths} month(s) of retention per batch; a summary item shared by ${o.batchesPerSession} batches of its session`,
    `item sizes: summary median ${r.summaryItemBytes.median} B (max ${r.summaryItemBytes.max}), index median ${r.indexItemBytes.median} B; frame median ${r.frameBytes.median} B`,
    `handler wall time per invocation (median): analyzer ${ms((x) => x.analyzerMs).median} ms at ${c.analyzerMemoryMb} MB, tables ${ms((x) => x.tablesMs).median} ms at ${c.tablesMemoryMb} MB (${r.environment})`,
    `prices: us-east-1 list, checked ${r.prices.checked} (bench/analyzer-prices.ts); ${r.prices.notPerBatch}`,
    `target ≤ $${r.target.usdPerMillionMax.toFixed(2)} per million batches all in → ${r.target.met ? 'met' : 'NOT met'} ($${r.ours.totalUsdPerMillion.toFixed(2)}; one object per batch: $${r.oneObject.totalUsdPerMillion.toFixed(2)})`,
  ].join('\n');
}

export const ANALYZER_COST_DEFAULTS: AnalyzerCostOptions = {
  rounds: 4,
  retentionMonths: 1,
  batchesPerSession: 96,
  seed: 20240604,
};

/** `npm run bench:analyzer-cost`: prints the table and adds `cost` to bench/results/analyzer.json. */
async function main(): Promise<void> {
  const result = await runAnalyzerCostBench(ANALYZER_COST_DEFAULTS);
  console.log(formatAnalyzerCostTable(result));
  const path = join(import.meta.dirname, 'results', 'analyzer.json');
  const existing = JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...existing, cost: result }, null, 2)}\n`);
  console.log(`figures written to ${join('bench', 'results', 'analyzer.json')} (key "cost")`);
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
