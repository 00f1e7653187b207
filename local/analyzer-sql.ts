/**
 * The analyzer's SQL questions answered locally: DuckDB over the same Hive-style Parquet layout
 * the cloud writes to S3 (lambdas/analyzer/query-tables.ts), read from a folder. The SQL is the
 * text the Athena named queries hold (lambdas/analyzer/queries.ts).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { NamedQuery } from '#lambdas/analyzer/queries.ts';

export type Row = Record<string, unknown>;

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The two tables as DuckDB reads them from `dir` (which holds samples/dt=…/ and apps/dt=…/). */
export function duckdbTables(dir: string): { samples: string; apps: string } {
  const table = (name: string) =>
    `read_parquet(${quote(`${dir}/${name}/*/*.parquet`)}, hive_partitioning = true, hive_types = {'dt': VARCHAR})`;
  return { samples: table('samples'), apps: table('apps') };
}

/** Runs SQL (`?` bound to `params`) over the layout in `dir`; rows as JSON-safe objects. */
export async function runSql(dir: string, sql: string, params: readonly string[] = []): Promise<Row[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const tables = duckdbTables(dir);
    const rendered = sql.replaceAll('{samples}', tables.samples).replaceAll('{apps}', tables.apps);
    const reader = await connection.runAndReadAll(rendered, [...params]);
    return reader.getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A named query for the days `from`..`to` (YYYY-MM-DD, inclusive). */
export function runNamedQuery(dir: string, query: NamedQuery, from: string, to: string): Promise<Row[]> {
  return runSql(dir, query.sql, [from, to]);
}
