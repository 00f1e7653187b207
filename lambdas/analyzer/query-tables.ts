/**
 * The analyzer's queryable history: decoded batches as rows of two Parquet tables under a
 * Hive-style layout partitioned by day, the same in S3 for Athena (Glue tables with partition
 * projection on `dt`) and in the local cloud for DuckDB.
 *
 *   analyzer/samples/dt=YYYY-MM-DD/<file>.parquet   one row per session sample (machine-wide measures)
 *   analyzer/apps/dt=YYYY-MM-DD/<file>.parquet      one row per app per sample
 *
 * Every row carries (device_id, session_id, seq): storage is at-least-once, and the named queries
 * keep one copy of each row (queries.ts).
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { AnalyzerBatch, AnalyzerSample, AppSample } from '#protocol/analyzer.ts';

export const QUERY_PREFIX = 'analyzer';
export const QUERY_TABLES = ['samples', 'apps'] as const;
export type QueryTable = (typeof QUERY_TABLES)[number];

export interface DeviceBatch {
  readonly deviceId: string;
  readonly batch: AnalyzerBatch;
}

/** Day partition of a sample time, UTC. */
export const dayOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

export const queryObjectKey = (table: QueryTable, day: string, file: string): string =>
  `${QUERY_PREFIX}/${table}/dt=${day}/${file}.parquet`;

interface SampleRow {
  readonly deviceId: string;
  readonly batch: AnalyzerBatch;
  readonly sample: AnalyzerSample;
}
interface AppRow extends SampleRow {
  readonly app: AppSample;
}

export type ColumnType = 'STRING' | 'INT32' | 'DOUBLE' | 'TIMESTAMP';

/** A column: its name, its Parquet type, and how a row gives its value. */
type Column<R> = readonly [string, ColumnType, (row: R) => string | number | Date];

const keyColumns: Column<SampleRow>[] = [
  ['device_id', 'STRING', (r) => r.deviceId],
  ['session_id', 'STRING', (r) => r.batch.sessionId],
  ['seq', 'INT32', (r) => r.batch.seq],
  ['t', 'TIMESTAMP', (r) => new Date(r.sample.t)],
  ['interval_sec', 'INT32', (r) => r.batch.intervalSec],
];

const SAMPLE_COLUMNS: Column<SampleRow>[] = [
  ...keyColumns,
  ['user_name', 'STRING', (r) => r.batch.user],
  ['state', 'STRING', (r) => r.sample.state],
  ['cpu_pct', 'DOUBLE', (r) => r.sample.cpuPct],
  ['mem_pct', 'DOUBLE', (r) => r.sample.memPct],
  ['disk_kbps', 'DOUBLE', (r) => r.sample.diskKBps],
  ['net_rx_kbps', 'DOUBLE', (r) => r.sample.netRxKBps],
  ['net_tx_kbps', 'DOUBLE', (r) => r.sample.netTxKBps],
];

const APP_COLUMNS: Column<AppRow>[] = [
  ...keyColumns,
  ['app', 'STRING', (r) => r.app.app],
  ['procs', 'INT32', (r) => r.app.procs],
  ['cpu_pct', 'DOUBLE', (r) => r.app.cpuPct],
  ['mem_mb', 'DOUBLE', (r) => r.app.memMb],
  ['focus_sec', 'INT32', (r) => r.app.focusSec],
];

/**
 * Each table's columns as written, in file order: what the Glue tables declare (lib/analyzer-sql.ts),
 * so the catalogue cannot drift from the files. `dt` is not a column: it is the partition folder.
 */
export const queryTableColumns: Readonly<
  Record<QueryTable, ReadonlyArray<{ readonly name: string; readonly type: ColumnType }>>
> = {
  samples: SAMPLE_COLUMNS.map(([name, type]) => ({ name, type })),
  apps: APP_COLUMNS.map(([name, type]) => ({ name, type })),
};

/** The Parquet files for some batches: per day, one file per table. */
export function toQueryFiles(batches: readonly DeviceBatch[]): Map<string, Record<QueryTable, Uint8Array>> {
  const days = new Map<string, { samples: SampleRow[]; apps: AppRow[] }>();
  for (const { deviceId, batch } of batches) {
    for (const sample of batch.samples) {
      const day = dayOf(sample.t);
      let rows = days.get(day);
      if (rows === undefined) {
        rows = { samples: [], apps: [] };
        days.set(day, rows);
      }
      const row = { deviceId, batch, sample };
      rows.samples.push(row);
      for (const app of sample.apps) rows.apps.push({ ...row, app });
    }
  }
  const files = new Map<string, Record<QueryTable, Uint8Array>>();
  for (const [day, rows] of days) {
    files.set(day, { samples: parquet(SAMPLE_COLUMNS, rows.samples), apps: parquet(APP_COLUMNS, rows.apps) });
  }
  return files;
}

function parquet<R>(columns: readonly Column<R>[], rows: readonly R[]): Uint8Array {
  const columnData = columns.map(([name, type, value]) => ({
    name,
    type,
    data: rows.map(value),
    nullable: false,
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}
