/**
 * `fleetpulse analyzer query` against the local cloud: the archive bucket's Parquet layout read over
 * the S3 API (as Athena reads it in AWS) into a temporary folder of the same shape, and DuckDB run
 * over that folder (local/analyzer-sql.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { QUERY_PREFIX, QUERY_TABLES } from '#lambdas/analyzer/query-tables.ts';
import type { QueryResult } from '#lambdas/analyzer/sql-statement.ts';
import { runAnalyzerQuery } from '#local/public.ts';
import { buckets } from '#wiring/fleet.ts';

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Region the local cloud runs in when its endpoints.json predates the `region` key. */
const LOCAL_REGION_FALLBACK = 'eu-west-1';
const DOWNLOADS_IN_FLIGHT = 8;

/** `analyzer/<table>/dt=<day>/<file>.parquet`; the file name is checked because it becomes a path. */
const LAYOUT_KEY = new RegExp(
  `^${QUERY_PREFIX}/(${QUERY_TABLES.join('|')})/dt=(\\d{4}-\\d{2}-\\d{2})/([A-Za-z0-9][A-Za-z0-9._-]*\\.parquet)$`,
);

export interface LocalS3 {
  readonly s3Endpoint: string;
  readonly region?: string;
}

export interface LocalQuery {
  readonly sql: string;
  readonly params: readonly string[];
  /** Only these days are read (the query filters them anyway); every day when absent. */
  readonly days?: { readonly from: string; readonly to: string };
}

interface LayoutObject {
  readonly key: string;
  readonly table: string;
  readonly day: string;
  readonly file: string;
}

/** No query file covers the days asked for; the message says which days there are. */
export class NoAnalyzerDataError extends Error {
  override readonly name = 'NoAnalyzerDataError';
}

async function listLayout(s3: S3Client, bucket: string): Promise<LayoutObject[]> {
  const objects: LayoutObject[] = [];
  for (const table of QUERY_TABLES) {
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: `${QUERY_PREFIX}/${table}/` },
    )) {
      for (const { Key: key } of page.Contents ?? []) {
        const match = key === undefined ? null : LAYOUT_KEY.exec(key);
        if (key && match)
          objects.push({ key, table: match[1] as string, day: match[2] as string, file: match[3] as string });
      }
    }
  }
  return objects;
}

function noDataMessage(all: readonly LayoutObject[], days: LocalQuery['days']): string {
  if (all.length === 0) {
    return 'no analyzer data in the local archive yet: analyzer batches from agents become query files within a minute of arriving';
  }
  const archived = [...new Set(all.map((o) => o.day))].sort();
  return `no analyzer data from ${days?.from} to ${days?.to}; the local archive has ${archived.length} day(s), ${archived[0]} to ${archived.at(-1)} (use --from/--to)`;
}

/** Runs the query over the local cloud's archive. */
export async function queryLocalArchive(endpoints: LocalS3, query: LocalQuery): Promise<QueryResult> {
  const s3 = new S3Client({
    region: endpoints.region ?? LOCAL_REGION_FALLBACK,
    credentials: LOCAL_CREDENTIALS,
    endpoint: endpoints.s3Endpoint,
    forcePathStyle: true,
  });
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-analyzer-'));
  try {
    const bucket = buckets.archive.localName;
    const all = await listLayout(s3, bucket);
    const { days } = query;
    const wanted = days ? all.filter((o) => o.day >= days.from && o.day <= days.to) : all;
    if (wanted.length === 0) throw new NoAnalyzerDataError(noDataMessage(all, days));

    const queue = [...wanted];
    const download = async () => {
      for (let object = queue.shift(); object; object = queue.shift()) {
        try {
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.key }));
          const folder = join(dir, object.table, `dt=${object.day}`);
          await mkdir(folder, { recursive: true });
          await writeFile(
            join(folder, object.file),
            (await got.Body?.transformToByteArray()) ?? new Uint8Array(),
          );
        } catch (err) {
          // The other downloads stop too, so none writes into the folder after it is removed.
          queue.length = 0;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: DOWNLOADS_IN_FLIGHT }, download));

    return await runAnalyzerQuery(dir, query.sql, query.params);
  } finally {
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
