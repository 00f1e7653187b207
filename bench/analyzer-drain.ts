/**
 * `npx tsx bench/analyzer-drain.ts [--devices 40] [--sessions 10] [--batches 3]`: how many analyzer
 * batches per second the local cloud's analyzer path (rule → queue → lambdas/analyzer.ts → raw
 * bundle, index, summary → Parquet tables) takes in. Devices publish simulated 60 s batches (12
 * samples at 5 s, as `npm start`'s simulated analyzers) through Basic Ingest as fast as PUBACKs
 * come; the figure is batches counted in the session summaries per second until all are.
 * Figures, not assertions: bench/results/analyzer-drain.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanSessionSummaries } from '#lambdas/analyzer/session-store.ts';
import { batchCounts } from '#lambdas/analyzer/summary.ts';
import { type LocalCloud, startLocalCloud } from '#local/cloud.ts';
import { issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { tables } from '#wiring/fleet.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '40' },
    sessions: { type: 'string', default: '10' },
    batches: { type: 'string', default: '3' },
  },
});
const DEVICES = Number(values.devices);
const SESSIONS = Number(values.sessions);
const BATCHES = Number(values.batches);
const SAMPLE_SEC = 5;
const SAMPLES = 12;

async function accepted(cloud: LocalCloud): Promise<number> {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: cloud.region,
      endpoint: cloud.endpoints.dynamodbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  let n = 0;
  try {
    for await (const summary of scanSessionSummaries({ ddb, table: tables.analyzer.localName }))
      n += batchCounts(summary.received).received;
  } finally {
    ddb.destroy();
  }
  return n;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-bench-drain-'));
  const cloud = await startLocalCloud({
    dataDir,
    ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
    log: 'silent',
    lambdaWorkers: 2,
  });
  try {
    const start = Date.now() - BATCHES * SAMPLES * SAMPLE_SEC * 1000;
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, async (_, d) => {
        const id = `drain-${d}`;
        const client = await connectDeviceClient(
          { mqttUrl: cloud.endpoints.mqttUrl, ca: cloud.ca },
          id,
          await issueDeviceCert(cloud.ca, id),
          { connectTimeout: 20_000 },
        );
        const frames: Array<{ topic: string; frame: Buffer }> = [];
        for (let s = 0; s < SESSIONS; s++) {
          const sessionId = `s${s}`;
          const session = new SimulatedSession({ seed: d * 1000 + s, platform: 'windows' });
          for (let b = 0; b < BATCHES; b++) {
            const t0 = start + b * SAMPLES * SAMPLE_SEC * 1000;
            const samples = Array.from({ length: SAMPLES }, (_, i) =>
              session.sample(t0 + (i + 1) * SAMPLE_SEC * 1000, SAMPLE_SEC),
            );
            const batch = {
              sessionId,
              user: `CORP\\u${s}`,
              seq: b + 1,
              intervalSec: SAMPLE_SEC,
              final: false,
              samples,
            };
            frames.push({
              topic: basicIngestTopic(topics.analyzer(id, sessionId)),
              frame: encodeFramed(encodeAnalyzerBatch(batch)),
            });
          }
        }
        return { client, frames };
      }),
    );
    const total = DEVICES * SESSIONS * BATCHES;
    const t0 = performance.now();
    await Promise.all(
      devices.map(async ({ client, frames }) => {
        for (const { topic, frame } of frames) await client.publishAsync(topic, frame, { qos: 1 });
      }),
    );
    const publishedSec = (performance.now() - t0) / 1000;
    let counted = 0;
    while (counted < total && performance.now() - t0 < 600_000) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      counted = await accepted(cloud);
    }
    const drainedSec = (performance.now() - t0) / 1000;
    const result = {
      generatedBy: 'npx tsx bench/analyzer-drain.ts',
      measuredAt: new Date().toISOString(),
      devices: DEVICES,
      sessionsPerDevice: SESSIONS,
      batches: total,
      publishedPerSec: Math.round((total / publishedSec) * 10) / 10,
      counted,
      countedPerSec: Math.round((counted / drainedSec) * 10) / 10,
      drainedSec: Math.round(drainedSec * 10) / 10,
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'analyzer-drain.json'), `${JSON.stringify(result, null, 2)}\n`);
    for (const { client } of devices) client.end(true);
  } finally {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
