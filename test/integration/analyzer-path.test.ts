/**
 * The analyzer path end to end through the local cloud: a device publishes framed batches through
 * Basic Ingest; the rule, the queue and the handler archive them in a raw bundle, write the query
 * tables and count them in the session summary, once, however often a batch is delivered; an
 * invalid batch is dead-lettered with its reason.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedQueries } from '#lambdas/analyzer/queries.ts';
import { frameOf } from '#lambdas/analyzer/raw-bundle.ts';
import { batchLocation, readSummary } from '#lambdas/analyzer/session-store.ts';
import { runNamedQuery } from '#local/analyzer-sql.ts';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { buckets, tables } from '#wiring/fleet.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});

afterAll(async () => {
  await t?.cleanup();
});

function simulatedBatch(seq: number): AnalyzerBatch {
  const session = new SimulatedSession({ seed: 7, platform: 'windows' });
  const start = Date.UTC(2024, 5, 3, 8) + (seq - 1) * 300_000;
  return {
    sessionId: 'sess-1',
    user: 'CORP\\ada',
    seq,
    intervalSec: 15,
    final: false,
    samples: Array.from({ length: 20 }, (_, i) => session.sample(start + (i + 1) * 15_000, 15)),
  };
}

const deps = () => ({ ddb: t.aws.ddb, table: tables.analyzer.localName });
const bucket = () => buckets.archive.localName;

describe('analyzer path', () => {
  it('archives, indexes and summarises each batch once, and its raw frame comes back byte for byte', async () => {
    const device = await t.deviceClient('an-dev-1');
    const topic = basicIngestTopic(topics.analyzer('an-dev-1', 'sess-1'));
    const frames = [1, 2, 3].map((seq) => encodeFramed(encodeAnalyzerBatch(simulatedBatch(seq))));
    for (const frame of frames) await device.publishAsync(topic, frame, { qos: 1 });
    // Batch 2 delivered again.
    await device.publishAsync(topic, frames[1] as Buffer, { qos: 1 });
    await t.cloud.idle();

    const stored = await waitFor(
      async () => {
        const s = await readSummary(deps(), 'an-dev-1', 'sess-1');
        return s !== undefined && s.summary.received.length > 0 && s.summary.received[0]?.[1] === 3
          ? s
          : undefined;
      },
      { timeoutMs: 15_000, what: 'session summary with 3 batches' },
    );
    expect(stored.summary.received).toEqual([[1, 3]]);
    expect(stored.summary.samples).toBe(60);
    expect(stored.summary.user).toBe('CORP\\ada');

    const location = await batchLocation(deps(), { deviceId: 'an-dev-1', sessionId: 'sess-1', seq: 2 });
    expect(location?.objectKey).toMatch(/^analyzer\/raw\/dt=2024-06-03\//);
    const object = await t.aws.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: location?.objectKey }));
    const body = await object.Body?.transformToByteArray();
    expect(Buffer.from(frameOf(body ?? new Uint8Array(), location ?? { offset: 0, length: 0 }))).toEqual(
      frames[1],
    );

    // The query files are written after the summary (another function, fed by a queue): wait until
    // every raw bundle has its samples and apps files.
    const keys = await waitFor(
      async () => {
        const listed = await t.aws.s3.send(
          new ListObjectsV2Command({ Bucket: bucket(), Prefix: 'analyzer/' }),
        );
        const all = (listed.Contents ?? []).map((o) => o.Key ?? '');
        const bundles = all.filter((k) => k.endsWith('.fpb')).map((k) => k.slice(k.lastIndexOf('/') + 1, -4));
        const written = (b: string) =>
          all.includes(`analyzer/samples/dt=2024-06-03/${b}.parquet`) &&
          all.includes(`analyzer/apps/dt=2024-06-03/${b}.parquet`);
        return bundles.length > 0 && bundles.every(written) ? all : undefined;
      },
      { timeoutMs: 15_000, what: 'query files for every raw bundle' },
    );
    expect(keys.some((k) => k.startsWith('analyzer/samples/dt=2024-06-03/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('analyzer/apps/dt=2024-06-03/'))).toBe(true);

    // The named queries over what the local cloud archived: the redelivered batch counts once.
    const dir = await mkdtemp(join(tmpdir(), 'fp-analyzer-archived-'));
    try {
      for (const key of keys.filter((k) => k.endsWith('.parquet'))) {
        const got = await t.aws.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
        const path = join(dir, key.replace(/^analyzer\//, ''));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, (await got.Body?.transformToByteArray()) ?? new Uint8Array());
      }
      const idle = namedQueries.find((q) => q.name === 'most-idle-or-locked-devices');
      if (idle === undefined) throw new Error('no idle query');
      const rows = await runNamedQuery(dir, idle, '2024-06-03', '2024-06-03');
      const mine = rows.find((r) => r.device_id === 'an-dev-1');
      expect(Number(mine?.total_sec)).toBe(60 * 15);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    device.end(true);
  });

  it('dead-letters a batch that does not decode, and one published under another session, with the reason', async () => {
    const device = await t.deviceClient('an-dev-2');
    const topic = basicIngestTopic(topics.analyzer('an-dev-2', 'sess-9'));
    await device.publishAsync(topic, Buffer.from('not a frame'), { qos: 1 });
    const wrongSession = encodeFramed(encodeAnalyzerBatch(simulatedBatch(1)));
    await device.publishAsync(topic, wrongSession, { qos: 1 });
    await t.cloud.idle();
    const reasons: string[] = [];
    await waitFor(
      async () => {
        const res = await t.aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: t.cloud.queues.ingestDeadLetter.url,
            MaxNumberOfMessages: 10,
          }),
        );
        for (const m of res.Messages ?? []) {
          const letter = DeadLetterSchema.parse(JSON.parse(m.Body ?? ''));
          if (letter.deviceId === 'an-dev-2') reasons.push(`${letter.errorType}: ${letter.reason}`);
        }
        return reasons.length >= 2 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'two analyzer dead letters' },
    );
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DecodeError/),
        expect.stringMatching(
          /^ProtocolError: batch of session sess-1 published on the topic of session sess-9/,
        ),
      ]),
    );
    expect(await readSummary(deps(), 'an-dev-2', 'sess-9')).toBeUndefined();
    device.end(true);
  });
});
