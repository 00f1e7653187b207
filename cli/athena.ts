/**
 * `fleetpulse analyzer query` in AWS: the SQL runs in the stack's Athena workgroup (which fixes where
 * results go, how they are encrypted and how much a query may scan), the day range bound as
 * execution parameters, watched until it ends or the wait runs out, results read page by page.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryResultsCommandOutput,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { QueryResult, Row } from '#lambdas/analyzer/sql-statement.ts';

export interface AthenaQuery {
  /** The SQL with its tables named for Athena (queries.ts athenaTables). */
  readonly sql: string;
  /** Values of the `?`, in order (days as YYYY-MM-DD). */
  readonly params: readonly string[];
  readonly workGroup: string;
  readonly database: string;
}

export interface AthenaRunOptions {
  /** Give up (and stop the query) after this long. */
  readonly timeoutMs: number;
  /** At most this many rows are read back. */
  readonly maxRows: number;
  /** One line per state change or poll, for stderr. */
  readonly onProgress?: (line: string) => void;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Athena binds an execution parameter as SQL text: a day is passed as the string literal `'2026-11-29'`. */
export function startQueryInput(query: AthenaQuery): StartQueryExecutionCommandInput {
  for (const value of query.params) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`not a day (YYYY-MM-DD): ${value}`);
  }
  return {
    QueryString: query.sql,
    WorkGroup: query.workGroup,
    QueryExecutionContext: { Database: query.database },
    // Athena refuses an empty list: leave it out when the SQL has no `?`.
    ...(query.params.length > 0 ? { ExecutionParameters: query.params.map((day) => `'${day}'`) } : {}),
  };
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint']);
const FLOAT_TYPES = new Set(['double', 'float', 'real', 'decimal']);

/** A cell as JSON: numbers as numbers (a bigint beyond 2^53 stays a string), NULL as null. */
function cell(type: string | undefined, value: string | undefined): unknown {
  if (value === undefined) return null;
  if (type !== undefined && INTEGER_TYPES.has(type)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (type !== undefined && FLOAT_TYPES.has(type)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (type === 'boolean') return value === 'true';
  return value;
}

/**
 * Rows from GetQueryResults pages. For a SELECT, Athena returns the column names as the first row
 * of the first page; the names and types come from the metadata instead, and that row is skipped.
 */
export function rowsFromResultPages(pages: readonly GetQueryResultsCommandOutput[]): QueryResult {
  const info = pages[0]?.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
  const columns = info.map((c, i) => c.Name ?? `_col${i}`);
  const rows: Row[] = [];
  pages.forEach((page, pageIndex) => {
    const data = page.ResultSet?.Rows ?? [];
    data.forEach((row, rowIndex) => {
      if (pageIndex === 0 && rowIndex === 0) return;
      const values = row.Data ?? [];
      const record: Row = {};
      columns.forEach((name, i) => {
        record[name] = cell(info[i]?.Type?.toLowerCase(), values[i]?.VarCharValue);
      });
      rows.push(record);
    });
  });
  return { columns, rows };
}

const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 2_000;

const megabytes = (bytes: number | undefined) => `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;

/** Runs the query and returns its rows; Athena's own message when it fails. */
export async function runAthenaQuery(
  client: AthenaClient,
  query: AthenaQuery,
  options: AthenaRunOptions,
): Promise<QueryResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const progress = options.onProgress ?? (() => undefined);
  const started = await client.send(new StartQueryExecutionCommand(startQueryInput(query)));
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena started no query (no QueryExecutionId)');
  progress(`athena: query ${id} in workgroup ${query.workGroup}`);

  const deadline = now() + options.timeoutMs;
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    const { QueryExecution: execution } = await client.send(
      new GetQueryExecutionCommand({ QueryExecutionId: id }),
    );
    const state = execution?.Status?.State;
    const stats = execution?.Statistics;
    if (state === 'SUCCEEDED') {
      progress(
        `athena: succeeded in ${((stats?.TotalExecutionTimeInMillis ?? 0) / 1000).toFixed(1)} s, ${megabytes(stats?.DataScannedInBytes)} scanned`,
      );
      break;
    }
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason =
        execution?.Status?.AthenaError?.ErrorMessage ??
        execution?.Status?.StateChangeReason ??
        'no reason given';
      throw new Error(`Athena query ${id} ${state.toLowerCase()}: ${reason}`);
    }
    if (now() >= deadline) {
      await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      throw new Error(
        `Athena query ${id} did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped; narrow --from/--to or raise --timeout`,
      );
    }
    progress(`athena: ${state ?? 'UNKNOWN'}, ${megabytes(stats?.DataScannedInBytes)} scanned so far`);
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }

  const pages: GetQueryResultsCommandOutput[] = [];
  let read = 0;
  for await (const page of paginateGetQueryResults({ client, pageSize: 1000 }, { QueryExecutionId: id })) {
    pages.push(page);
    read += page.ResultSet?.Rows?.length ?? 0;
    // One more than maxRows: the first row of the first page is the header.
    if (read > options.maxRows) {
      progress(`athena: more than ${options.maxRows} rows; showing the first ${options.maxRows}`);
      break;
    }
  }
  const result = rowsFromResultPages(pages);
  return { columns: result.columns, rows: result.rows.slice(0, options.maxRows) };
}
