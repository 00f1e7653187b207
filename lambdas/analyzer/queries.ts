/**
 * The questions admins ask of the fleet's analyzer history, as SQL that both Athena (Trino) and
 * DuckDB run: the same text becomes the CDK's Athena named queries and what `analyzer query`
 * runs locally. `{samples}` and `{apps}` name the tables (a Glue table in AWS, a read_parquet over
 * the local layout); the two `?` are the first and last day (YYYY-MM-DD), bound as parameters.
 *
 * Each query first keeps one copy of every row: a batch delivered twice is written twice
 * (storage is at-least-once) but counts once.
 */

export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** One row per (device, session, sample[, app]) whatever the number of copies stored. */
const distinctSamples = `samples AS (
  SELECT * FROM (
    SELECT s.*, row_number() OVER (PARTITION BY device_id, session_id, t ORDER BY seq) AS copy
    FROM {samples} s WHERE dt BETWEEN ? AND ?
  ) WHERE copy = 1
)`;
const distinctApps = `apps AS (
  SELECT * FROM (
    SELECT a.*, row_number() OVER (PARTITION BY device_id, session_id, t, app ORDER BY seq) AS copy
    FROM {apps} a WHERE dt BETWEEN ? AND ?
  ) WHERE copy = 1
)`;

export const namedQueries: readonly NamedQuery[] = [
  {
    name: 'top-apps-by-cpu',
    description: 'Apps that used the most CPU across the fleet in a time range (CPU-hours of one machine)',
    sql: `WITH ${distinctApps}
SELECT app, round(sum(cpu_pct * interval_sec) / 100 / 3600, 3) AS cpu_hours, count(DISTINCT device_id) AS devices
FROM apps GROUP BY app ORDER BY cpu_hours DESC, app LIMIT 20`,
  },
  {
    name: 'top-apps-by-focus',
    description: 'Apps users spent the most foreground time in across the fleet in a time range',
    sql: `WITH ${distinctApps}
SELECT app, round(sum(focus_sec) / 3600.0, 3) AS focus_hours, count(DISTINCT device_id) AS devices
FROM apps WHERE focus_sec > 0 GROUP BY app ORDER BY focus_hours DESC, app LIMIT 20`,
  },
  {
    name: 'sustained-high-cpu-sessions',
    description: 'Sessions whose machine stayed above 90 % CPU for 5 minutes or more in a row',
    sql: `WITH ${distinctSamples},
runs AS (
  SELECT device_id, session_id, user_name, t, interval_sec, cpu_pct > 90 AS hot,
    row_number() OVER (PARTITION BY device_id, session_id ORDER BY t)
      - row_number() OVER (PARTITION BY device_id, session_id, cpu_pct > 90 ORDER BY t) AS run
  FROM samples
)
SELECT device_id, session_id, user_name, min(t) AS started, max(t) AS ended, sum(interval_sec) AS seconds
FROM runs WHERE hot GROUP BY device_id, session_id, user_name, run
HAVING sum(interval_sec) >= 300 ORDER BY seconds DESC, device_id LIMIT 100`,
  },
  {
    name: 'most-idle-or-locked-devices',
    description: 'Devices whose sessions spent the most time idle or locked in a time range',
    sql: `WITH ${distinctSamples}
SELECT device_id,
  sum(CASE WHEN state = 'idle' THEN interval_sec ELSE 0 END) AS idle_sec,
  sum(CASE WHEN state = 'locked' THEN interval_sec ELSE 0 END) AS locked_sec,
  sum(interval_sec) AS total_sec
FROM samples GROUP BY device_id
ORDER BY idle_sec + locked_sec DESC, device_id LIMIT 20`,
  },
];

/** The query with its tables named; its `?` stay for the engine to bind (first day, last day, per table read). */
export function renderQuery(query: NamedQuery, tables: { samples: string; apps: string }): string {
  return renderSql(query.sql, tables);
}

/** Any SQL written with `{samples}` and `{apps}`, its tables named for one engine. */
export const renderSql = (sql: string, tables: { samples: string; apps: string }): string =>
  sql.replaceAll('{samples}', tables.samples).replaceAll('{apps}', tables.apps);

/** Glue database and Athena workgroup names: the CDK's defaults, and where the CLI looks unless told. */
export const ATHENA_DEFAULTS = { database: 'fleetpulse_analyzer', workgroup: 'fleetpulse-analyzer' } as const;

/**
 * The tables as Athena names them: qualified, so a query's `WITH samples AS (… FROM {samples} …)`
 * reads the Glue table and never its own CTE of the same name.
 */
export const athenaTables = (database: string): { samples: string; apps: string } => ({
  samples: `"${database}"."samples"`,
  apps: `"${database}"."apps"`,
});

/** Athena statement names take no hyphen: `top-apps-by-cpu` → `top_apps_by_cpu`. */
export const preparedStatementName = (queryName: string): string => queryName.replaceAll('-', '_');
