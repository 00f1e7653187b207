/**
 * The analyzer's queryable history: decoded batches as rows of two Parquet tables under a
 * Hive-style layout partitioned by day, the same in S3 for Athena (Glue tables with partition
 * projection on `dt`) and in the local cloud for DuckDB.
 *
 *   analyzer/samples/dt=YYYY-MM-DD/<file>.parquet   one row per session sample (machine-wide measures)
 *   analyzer/apps/dt=YYYY-MM-DD/<file>.parquet      one row per app per sample
 *
 * Every row carries (device_id, session_id, seq): storage is at-least-once, and the views the
 * queries read keep one copy of each batch (analyzer-queries.ts).
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';

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

interface Columns {
  samples: {
    device_id: string[];
    session_id: string[];
    user_name: string[];
    seq: number[];
    t: Date[];
    state: string[];
    interval_sec: number[];
    cpu_pct: number[];
    mem_pct: number[];
    disk_kbps: number[];
    net_rx_kbps: number[];
    net_tx_kbps: number[];
  };
  apps: {
    device_id: string[];
    session_id: string[];
    seq: number[];
    t: Date[];
    interval_sec: number[];
    app: string[];
    procs: number[];
    cpu_pct: number[];
    mem_mb: number[];
    focus_sec: number[];
  };
}

const emptyColumns = (): Columns => ({
  samples: {
    device_id: [],
    session_id: [],
    user_name: [],
    seq: [],
    t: [],
    state: [],
    interval_sec: [],
    cpu_pct: [],
    mem_pct: [],
    disk_kbps: [],
    net_rx_kbps: [],
    net_tx_kbps: [],
  },
  apps: {
    device_id: [],
    session_id: [],
    seq: [],
    t: [],
    interval_sec: [],
    app: [],
    procs: [],
    cpu_pct: [],
    mem_mb: [],
    focus_sec: [],
  },
});

const TYPES: Record<string, 'STRING' | 'INT32' | 'DOUBLE' | 'TIMESTAMP'> = {
  device_id: 'STRING',
  session_id: 'STRING',
  user_name: 'STRING',
  state: 'STRING',
  app: 'STRING',
  seq: 'INT32',
  interval_sec: 'INT32',
  procs: 'INT32',
  focus_sec: 'INT32',
  t: 'TIMESTAMP',
  cpu_pct: 'DOUBLE',
  mem_pct: 'DOUBLE',
  disk_kbps: 'DOUBLE',
  net_rx_kbps: 'DOUBLE',
  net_tx_kbps: 'DOUBLE',
  mem_mb: 'DOUBLE',
};

/** The Parquet files for some batches: per day, one file per table. */
export function toQueryFiles(batches: readonly DeviceBatch[]): Map<string, Record<QueryTable, Uint8Array>> {
  const days = new Map<string, Columns>();
  for (const { deviceId, batch } of batches) {
    for (const sample of batch.samples) {
      const day = dayOf(sample.t);
      let c = days.get(day);
      if (c === undefined) {
        c = emptyColumns();
        days.set(day, c);
      }
      const t = new Date(sample.t);
      const s = c.samples;
      s.device_id.push(deviceId);
      s.session_id.push(batch.sessionId);
      s.user_name.push(batch.user);
      s.seq.push(batch.seq);
      s.t.push(t);
      s.state.push(sample.state);
      s.interval_sec.push(batch.intervalSec);
      s.cpu_pct.push(sample.cpuPct);
      s.mem_pct.push(sample.memPct);
      s.disk_kbps.push(sample.diskKBps);
      s.net_rx_kbps.push(sample.netRxKBps);
      s.net_tx_kbps.push(sample.netTxKBps);
      for (const app of sample.apps) {
        const a = c.apps;
        a.device_id.push(deviceId);
        a.session_id.push(batch.sessionId);
        a.seq.push(batch.seq);
        a.t.push(t);
        a.interval_sec.push(batch.intervalSec);
        a.app.push(app.app);
        a.procs.push(app.procs);
        a.cpu_pct.push(app.cpuPct);
        a.mem_mb.push(app.memMb);
        a.focus_sec.push(app.focusSec);
      }
    }
  }
  const files = new Map<string, Record<QueryTable, Uint8Array>>();
  for (const [day, c] of days) {
    files.set(day, { samples: parquet(c.samples), apps: parquet(c.apps) });
  }
  return files;
}

function parquet(columns: Record<string, unknown[]>): Uint8Array {
  const columnData = Object.entries(columns).map(([name, data]) => ({
    name,
    data: data as (string | number | Date)[],
    type: TYPES[name] ?? 'STRING',
    nullable: false,
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}
