/**
 * The analyzer's SQL questions answered locally: DuckDB over the same Hive-style Parquet layout
 * the cloud writes to S3 (lambdas/analyzer/query-tables.ts), read from a folder. The SQL is the
 * text the Athena named queries hold (lambdas/analyzer/queries.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, type Json, StatementType } from '@duckdb/node-api';
import { type NamedQuery, renderSql } from '#lambdas/analyzer/queries.ts';
import { QUERY_TABLES, type QueryTable } from '#lambdas/analyzer/query-tables.ts';
import { NotAQueryError, type QueryResult, type Row } from '#lambdas/analyzer/sql-statement.ts';

export type { QueryResult, Row };

/** Types DuckDB's JSON gives as strings so no digit is lost (count, sum of integers, decimals). */
const WIDE_NUMBERS: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);

/** A number when it survives the trip (as Athena's results are read in cli/athena.ts), else the text. */
function asNumber(value: Json | undefined): Json {
  if (value === undefined) return null;
  if (typeof value !== 'string') return value;
  const n = Number(value);
  return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n)) ? n : value;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The two tables as DuckDB reads them from `dir` (which holds samples/dt=…/ and apps/dt=…/). */
export function duckdbTables(dir: string): { samples: string; apps: string } {
  const table = (name: string) =>
    `read_parquet(${quote(`${dir}/${name}/*/*.parquet`)}, hive_partitioning = true, hive_types = {'dt': VARCHAR})`;
  return { samples: table('samples'), apps: table('apps') };
}

/**
 * Runs one read-only query (`?` bound to `params`) over the layout in `dir`. Besides `{samples}` and
 * `{apps}`, the SQL may name the tables `samples` and `apps` as Athena does with the database
 * selected. DuckDB's own parser decides what the statement is: anything but one SELECT (WITH … SELECT
 * included) is refused before it runs, and the session can read no file outside `dir`.
 */
export async function runQuery(
  dir: string,
  sql: string,
  params: readonly string[] = [],
): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const tables = duckdbTables(dir);
    // DuckDB binds a view when it is created, and a glob that matches nothing is an error then.
    for (const table of await tablesWithFiles(dir)) {
      await connection.run(`CREATE VIEW ${table} AS SELECT * FROM ${tables[table]}`);
    }
    await connection.run(`SET allowed_directories = [${quote(dir)}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');

    const rendered = renderSql(sql, tables);
    const statements = await connection.extractStatements(rendered);
    if (statements.count !== 1) {
      throw new NotAQueryError(`expected one SQL statement, got ${statements.count}`);
    }
    const prepared = await statements.prepare(0);
    try {
      if (prepared.statementType !== StatementType.SELECT) {
        throw new NotAQueryError(
          `only SELECT (or WITH … SELECT) queries are allowed; this is a ${StatementType[prepared.statementType] ?? 'other'} statement`,
        );
      }
      if (prepared.parameterCount !== params.length) {
        throw new NotAQueryError(
          `the query has ${prepared.parameterCount} ? parameter(s) but ${params.length} value(s) were given`,
        );
      }
      if (params.length > 0) prepared.bind([...params]);
      const reader = await prepared.runAndReadAll();
      const columns = reader.columnNames();
      const wide = new Set(
        reader
          .columnTypes()
          .flatMap((type, i) => (WIDE_NUMBERS.has(type.typeId) ? [columns[i] as string] : [])),
      );
      const rows = reader.getRowObjectsJson().map((row) => {
        for (const name of wide) row[name] = asNumber(row[name]);
        return row;
      });
      return { columns, rows };
    } finally {
      prepared.destroySync();
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The tables that have at least one Parquet file under `dir` (`<table>/dt=…/*.parquet`). */
export async function tablesWithFiles(dir: string): Promise<QueryTable[]> {
  const found: QueryTable[] = [];
  for (const table of QUERY_TABLES) {
    const days = await readdir(join(dir, table), { withFileTypes: true }).catch(() => []);
    for (const day of days) {
      if (!day.isDirectory()) continue;
      const files = await readdir(join(dir, table, day.name));
      if (files.some((f) => f.endsWith('.parquet'))) {
        found.push(table);
        break;
      }
    }
  }
  return found;
}

/** Runs SQL (`?` bound to `params`) over the layout in `dir`; rows as JSON-safe objects. */
export async function runSql(dir: string, sql: string, params: readonly string[] = []): Promise<Row[]> {
  return [...(await runQuery(dir, sql, params)).rows];
}

/** A named query for the days `from`..`to` (YYYY-MM-DD, inclusive). */
export function runNamedQuery(dir: string, query: NamedQuery, from: string, to: string): Promise<Row[]> {
  return runSql(dir, query.sql, [from, to]);
}
