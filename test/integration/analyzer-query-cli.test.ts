/**
 * `fleetpulse analyzer query` against the local cloud: batches published through Basic Ingest
 * become Parquet in the archive bucket, and the CLI's query path (S3 API → temporary layout →
 * DuckDB) answers the named queries as the batches say, a redelivered batch counted once; anything
 * but one SELECT is refused before it runs.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotAQueryError } from '#lambdas/analyzer/sql-statement.ts';
import type { AnalyzerBatch, AnalyzerSample, AppSample, SessionState } from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { buckets } from '#wiring/fleet.ts';
import { resolveQuery } from '../../cli/analyzer-command.ts';
import { NoAnalyzerDataError, queryLocalArchive } from '../../cli/analyzer-local.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DAY = '2024-06-03';
const START = Date.UTC(2024, 5, 3, 9);
const INTERVAL_SEC = 15;

const app = (name: string, cpuPct: number, focusSec: number): AppSample => ({
  app: name,
  procs: 1,
  cpuPct,
  memMb: 200,
  focusSec,
});

/** Batch `seq` of a session: 20 samples; values on the wire's 0.1 % grid so nothing is rounded. */
function batchOf(
  session: string,
  seq: number,
  state: (i: number) => SessionState,
  apps: AppSample[],
): AnalyzerBatch {
  const samples: AnalyzerSample[] = Array.from({ length: 20 }, (_, i) => ({
    t: START + ((seq - 1) * 20 + i + 1) * INTERVAL_SEC * 1000,
    state: state(i),
    cpuPct: 30,
    memPct: 50,
    diskKBps: 0,
    netRxKBps: 2,
    netTxKBps: 1,
    apps,
  }));
  return { sessionId: session, user: 'CORP\\ada', seq, intervalSec: INTERVAL_SEC, final: false, samples };
}

// Device q-dev-1: two batches of a developer, the second delivered twice. q-dev-2: one batch, half idle.
const published: Array<{ deviceId: string; batch: AnalyzerBatch; copies: number }> = [
  {
    deviceId: 'q-dev-1',
    batch: batchOf('s1', 1, () => 'active', [app('code.exe', 12.5, 15), app('chrome.exe', 4, 0)]),
    copies: 1,
  },
  {
    deviceId: 'q-dev-1',
    batch: batchOf('s1', 2, () => 'active', [app('code.exe', 20, 15), app('chrome.exe', 6, 0)]),
    copies: 2,
  },
  {
    deviceId: 'q-dev-2',
    batch: batchOf('s7', 1, (i) => (i < 10 ? 'idle' : 'active'), [app('chrome.exe', 40, 15)]),
    copies: 1,
  },
];

/** top-apps-by-cpu as the batches say: CPU-hours per app over distinct samples. */
function expectedCpuHours(): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const { batch } of published) {
    for (const sample of batch.samples) {
      for (const a of sample.apps)
        seconds.set(a.app, (seconds.get(a.app) ?? 0) + a.cpuPct * batch.intervalSec);
    }
  }
  return new Map(
    [...seconds].map(([name, pctSeconds]) => [name, Math.round((pctSeconds / 100 / 3600) * 1000) / 1000]),
  );
}

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
  for (const deviceId of ['q-dev-1', 'q-dev-2']) {
    const device = await t.deviceClient(deviceId);
    for (const { batch, copies } of published.filter((p) => p.deviceId === deviceId)) {
      const frame = encodeFramed(encodeAnalyzerBatch(batch));
      const topic = basicIngestTopic(topics.analyzer(deviceId, batch.sessionId));
      for (let copy = 0; copy < copies; copy++) await device.publishAsync(topic, frame, { qos: 1 });
    }
    device.end(true);
  }
  await t.cloud.idle();
  // Every raw bundle the analyzer wrote has become its two query files.
  await waitFor(
    async () => {
      const listed = await t.aws.s3.send(
        new ListObjectsV2Command({ Bucket: buckets.archive.localName, Prefix: 'analyzer/' }),
      );
      const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
      const bundles = keys.filter((k) => k.endsWith('.fpb')).map((k) => k.slice(k.lastIndexOf('/') + 1, -4));
      const ready =
        bundles.length > 0 &&
        bundles.every(
          (b) =>
            keys.includes(`analyzer/samples/dt=${DAY}/${b}.parquet`) &&
            keys.includes(`analyzer/apps/dt=${DAY}/${b}.parquet`),
        );
      return ready && (await sampleCount()) === 60 ? true : undefined;
    },
    { timeoutMs: 20_000, what: 'query files for every raw bundle, holding all three batches' },
  );
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

const s3 = () => ({ s3Endpoint: t.endpoints.s3Endpoint, region: t.cloud.region });

/** Distinct samples in the archive's query files (0 while they are still being written). */
async function sampleCount(): Promise<number> {
  try {
    const result = await queryLocalArchive(s3(), {
      sql: 'SELECT count(DISTINCT (device_id, session_id, t)) AS n FROM samples',
      params: [],
    });
    return Number(result.rows[0]?.n);
  } catch (err) {
    if (err instanceof NoAnalyzerDataError) return 0;
    throw err;
  }
}

async function cli(input: string, days: { from?: string; to?: string } = { from: DAY, to: DAY }) {
  const query = resolveQuery(input, days);
  return queryLocalArchive(s3(), {
    sql: query.sql,
    params: query.params,
    ...(query.named ? { days: { from: query.from, to: query.to } } : {}),
  });
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI through its npm bin, finding this test's cloud as `npm start`'s: by FLEETPULSE_DATA_DIR. */
async function fleetpulse(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  await writeFile(join(t.dataDir, 'endpoints.json'), JSON.stringify(t.endpoints));
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETPULSE_DATA_DIR: t.dataDir };
  delete env.AWS_REGION;
  delete env.AWS_DEFAULT_REGION;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'bin/fleetpulse.js'), ...args],
      { cwd: REPO_ROOT, env },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('fleetpulse analyzer query (local cloud)', () => {
  it('prints the same rows from the command line, as JSON and as a table', async () => {
    const direct = await cli('top-apps-by-cpu');

    const json = await fleetpulse([
      'analyzer',
      'query',
      'top-apps-by-cpu',
      '--from',
      DAY,
      '--to',
      DAY,
      '--json',
    ]);
    const text = await fleetpulse(['analyzer', 'query', 'top-apps-by-cpu', '--from', DAY, '--to', DAY]);

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(direct.rows);
    expect(text.stdout.split('\n')[0]).toMatch(/^app\s+cpu_hours\s+devices$/);
    expect(text.stdout).toContain('chrome.exe');
  });

  it('exits 1 with the reason when the SQL is not one SELECT', async () => {
    const run = await fleetpulse(['analyzer', 'query', 'DELETE FROM samples']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'only SELECT (or WITH … SELECT) queries are allowed; this statement starts with DELETE',
    );
  });

  it('answers top-apps-by-cpu as the batches say, the redelivered batch counted once', async () => {
    const result = await cli('top-apps-by-cpu');

    expect(result.columns).toEqual(['app', 'cpu_hours', 'devices']);
    const expected = expectedCpuHours();
    expect(result.rows).toEqual(
      [...expected]
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .map(([name, hours]) => ({
          app: name,
          cpu_hours: hours,
          devices: name === 'chrome.exe' ? 2 : 1,
        })),
    );
  });

  it('answers most-idle-or-locked-devices from the session states', async () => {
    const result = await cli('most-idle-or-locked-devices');

    expect(result.rows).toEqual([
      { device_id: 'q-dev-2', idle_sec: 10 * INTERVAL_SEC, locked_sec: 0, total_sec: 20 * INTERVAL_SEC },
      { device_id: 'q-dev-1', idle_sec: 0, locked_sec: 0, total_sec: 40 * INTERVAL_SEC },
    ]);
  });

  it('runs an ad-hoc SELECT over the samples table with the day range bound to its ?', async () => {
    const result = await cli(
      "SELECT device_id, count(*) AS samples FROM samples WHERE dt BETWEEN ? AND ? AND state = 'idle' GROUP BY device_id",
    );

    expect(result.rows).toEqual([{ device_id: 'q-dev-2', samples: 10 }]);
  });

  it('says which days there are when none falls in the range asked for', async () => {
    await expect(cli('top-apps-by-cpu', { from: '2030-01-01', to: '2030-01-07' })).rejects.toThrow(
      new NoAnalyzerDataError(
        `no analyzer data from 2030-01-01 to 2030-01-07; the local archive has 1 day(s), ${DAY} to ${DAY} (use --from/--to)`,
      ),
    );
  });

  it.each([
    'DELETE FROM samples',
    "COPY (SELECT * FROM samples) TO '/tmp/out.csv'",
    'SELECT 1; DROP TABLE samples',
    'ATTACH ":memory:" AS other',
  ])('refuses %s before it reaches DuckDB', (sql) => {
    expect(() => resolveQuery(sql, {})).toThrow(NotAQueryError);
  });

  it('lets a query read no file outside the layout', async () => {
    await expect(
      queryLocalArchive(s3(), { sql: "SELECT * FROM read_text('/etc/hostname')", params: [] }),
    ).rejects.toThrow(/disabled by configuration/);
  });

  it("reports bad SQL with DuckDB's message", async () => {
    await expect(cli('SELECT no_such_column FROM samples', {})).rejects.toThrow(/no_such_column/);
  });
});
