/**
 * `fleetpulse analyzer queries|query`: fleet-wide SQL over the analyzer history. The same SQL runs
 * with DuckDB over the local cloud's archive (analyzer-local.ts) or with Athena in the stack's
 * workgroup (athena.ts); this file picks the target and prints the rows.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ATHENA_DEFAULTS,
  athenaTables,
  type NamedQuery,
  namedQueries,
  renderSql,
} from '#lambdas/analyzer/queries.ts';
import type { QueryResult } from '#lambdas/analyzer/sql-statement.ts';
import { dayParameters, NotAQueryError, readOnlyQuery } from '#lambdas/analyzer/sql-statement.ts';
import { queryLocalArchive } from './analyzer-local.ts';
import { runAthenaQuery } from './athena.ts';
import { table, text } from './format.ts';
import { findLocalCloudDir, readLocalEndpoints } from './local-cloud.ts';

const DEFAULT_DAYS = 7;
const DAY_MS = 86_400_000;

/** A real calendar day as YYYY-MM-DD (2026-02-30 is refused, not rolled over). */
export function dayArg(value: string): string {
  const date = new Date(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError('must be a day as YYYY-MM-DD (UTC)');
  }
  return value;
}

/** The days asked for: --to defaults to today (UTC), --from to the week ending on --to. */
export function dayRange(
  opts: { from?: string; to?: string },
  now = Date.now(),
): { from: string; to: string } {
  const to = opts.to ?? new Date(now).toISOString().slice(0, 10);
  const from =
    opts.from ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  if (from > to) throw new NotAQueryError(`--from ${from} is after --to ${to}`);
  return { from, to };
}

export interface ResolvedQuery {
  /** The named query, when the argument named one. */
  readonly named?: NamedQuery;
  /** SQL with `{samples}` / `{apps}` (or bare `samples` / `apps`) for the engine to name. */
  readonly sql: string;
  readonly params: readonly string[];
  readonly from: string;
  readonly to: string;
}

/** A named query's name or one SELECT, with its `?` bound to the day range. */
export function resolveQuery(
  input: string,
  opts: { from?: string; to?: string },
  now = Date.now(),
): ResolvedQuery {
  const named = namedQueries.find((q) => q.name === input.trim());
  const sql = named ? named.sql : readOnlyQuery(input);
  const { from, to } = dayRange(opts, now);
  const params = dayParameters(sql, from, to);
  if (!named && params.length === 0 && (opts.from !== undefined || opts.to !== undefined)) {
    throw new NotAQueryError(
      '--from/--to are bound to ? in the SQL, and this SQL has none: filter with dt BETWEEN ? AND ?',
    );
  }
  return { ...(named ? { named } : {}), sql, params, from, to };
}

interface QueryOptions {
  from?: string;
  to?: string;
  json?: boolean;
  target?: 'local' | 'aws';
  localCloud?: string;
  region?: string;
  workgroup?: string;
  database?: string;
  timeout: number;
  maxRows: number;
}

async function runResolved(query: ResolvedQuery, opts: QueryOptions): Promise<QueryResult> {
  const localDir = opts.target === 'aws' ? undefined : await findLocalCloudDir(opts.localCloud);
  const target = opts.target ?? (localDir === undefined ? 'aws' : 'local');
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const noLocalCloud =
    'no local cloud found (.local-cloud/endpoints.json, or FLEETPULSE_DATA_DIR): start it with `npm start`';
  if (target === 'local') {
    if (localDir === undefined) throw new Error(noLocalCloud);
    const endpoints = await readLocalEndpoints(localDir);
    if (!endpoints.s3Endpoint) {
      throw new Error(`${localDir}/endpoints.json has no s3Endpoint: restart the local cloud (npm start)`);
    }
    return queryLocalArchive(
      { s3Endpoint: endpoints.s3Endpoint, ...(endpoints.region ? { region: endpoints.region } : {}) },
      {
        sql: query.sql,
        params: query.params,
        // A named query filters its days itself: only those need reading. Ad-hoc SQL may not.
        ...(query.named ? { days: { from: query.from, to: query.to } } : {}),
      },
    );
  }
  if (!region) {
    throw new Error(
      opts.target === 'aws'
        ? '--region is required with --target aws (or set AWS_REGION)'
        : `${noLocalCloud}, or query Athena with --target aws --region <region>`,
    );
  }
  const database = opts.database ?? process.env.FLEETPULSE_ATHENA_DATABASE ?? ATHENA_DEFAULTS.database;
  const workGroup = opts.workgroup ?? process.env.FLEETPULSE_ATHENA_WORKGROUP ?? ATHENA_DEFAULTS.workgroup;
  // Default credential chain: environment, profile (e.g. one that assumes the stack's QueryRoleArn), SSO.
  const client = new AthenaClient({ region });
  try {
    return await runAthenaQuery(
      client,
      { sql: renderSql(query.sql, athenaTables(database)), params: query.params, workGroup, database },
      { timeoutMs: opts.timeout * 1000, maxRows: opts.maxRows, onProgress: (line) => console.error(line) },
    );
  } finally {
    client.destroy();
  }
}

export function formatRows(result: QueryResult): string {
  if (result.rows.length === 0) return 'no rows';
  return table(
    result.columns,
    result.rows.map((row) => result.columns.map((c) => text(row[c]))),
  );
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

export function analyzerCommand(): Command {
  const analyzer = new Command('analyzer').description('fleet-wide SQL over the analyzer history');

  analyzer
    .command('queries')
    .description('list the named queries (`analyzer query <name>` runs one)')
    .option('--json', 'print JSON (with the SQL) instead of a table')
    .action((opts: { json?: boolean }) => {
      if (opts.json) return console.log(JSON.stringify(namedQueries, null, 2));
      console.log(
        table(
          ['NAME', 'DESCRIPTION'],
          namedQueries.map((q) => [q.name, q.description]),
        ),
      );
    });

  analyzer
    .command('query')
    .description('run a named query or one SELECT over the samples and apps tables')
    .argument('<sql-or-name>', 'a named query (see `analyzer queries`) or one SELECT / WITH … SELECT')
    .option('--from <day>', `first day, YYYY-MM-DD UTC (default: ${DEFAULT_DAYS} days up to --to)`, dayArg)
    .option('--to <day>', 'last day, YYYY-MM-DD UTC (default: today)', dayArg)
    .option('--json', 'print the rows as JSON instead of a table')
    .addOption(
      new Option(
        '--target <target>',
        'where the history is (default: the local cloud when one is found, else aws)',
      ).choices(['local', 'aws']),
    )
    .option('--local-cloud <dir>', 'local cloud folder holding endpoints.json (default: ./.local-cloud)')
    .option('--region <region>', 'aws: the stack region (default AWS_REGION)')
    .option(
      '--workgroup <name>',
      `aws: Athena workgroup, the stack's AnalyzerWorkGroupName output (default FLEETPULSE_ATHENA_WORKGROUP or ${ATHENA_DEFAULTS.workgroup})`,
    )
    .option(
      '--database <name>',
      `aws: Glue database, the stack's AnalyzerDatabaseName output (default FLEETPULSE_ATHENA_DATABASE or ${ATHENA_DEFAULTS.database})`,
    )
    .option('--timeout <seconds>', 'aws: stop the query after this long', positiveInt, 300)
    .option('--max-rows <n>', 'aws: read at most this many rows', positiveInt, 10_000)
    .addHelpText(
      'after',
      [
        '',
        'Tables: samples (one row per session sample) and apps (one row per app per sample), both',
        'partitioned by dt (YYYY-MM-DD). Each ? binds a day: first day, last day, in pairs.',
        '',
        '  fleetpulse analyzer query top-apps-by-cpu --from 2026-11-01 --to 2026-11-29',
        '  fleetpulse analyzer query "SELECT state, count(*) AS n FROM samples WHERE dt BETWEEN ? AND ? GROUP BY state"',
        '  fleetpulse analyzer query most-idle-or-locked-devices --target aws --region eu-west-1',
      ].join('\n'),
    )
    .action(async (input: string, opts: QueryOptions) => {
      const query = resolveQuery(input, opts);
      const result = await runResolved(query, opts);
      console.log(opts.json ? JSON.stringify(result.rows, null, 2) : formatRows(result));
    });

  return analyzer;
}
