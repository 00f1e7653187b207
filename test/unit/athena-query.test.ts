import { AthenaClient, type GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { athenaTables, namedQueries, renderSql } from '#lambdas/analyzer/queries.ts';
import { rowsFromResultPages, runAthenaQuery, startQueryInput } from '../../cli/athena.ts';

const page = (
  rows: Array<Array<string | undefined>>,
  withMetadata: boolean,
): GetQueryResultsCommandOutput => ({
  $metadata: {},
  ResultSet: {
    Rows: rows.map((row) => ({ Data: row.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
    ...(withMetadata
      ? {
          ResultSetMetadata: {
            ColumnInfo: [
              { Name: 'app', Type: 'varchar' },
              { Name: 'cpu_hours', Type: 'double' },
              { Name: 'devices', Type: 'bigint' },
            ],
          },
        }
      : {}),
  },
});

describe('startQueryInput', () => {
  it('runs the SQL in the workgroup and database, each day bound as a string literal', () => {
    const query = namedQueries[0];
    if (!query) throw new Error('no named query');
    const sql = renderSql(query.sql, athenaTables('fleetpulse_analyzer'));

    expect(
      startQueryInput({
        sql,
        params: ['2026-11-01', '2026-11-07'],
        workGroup: 'wg',
        database: 'fleetpulse_analyzer',
      }),
    ).toEqual({
      QueryString: sql,
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'fleetpulse_analyzer' },
      ExecutionParameters: ["'2026-11-01'", "'2026-11-07'"],
    });
    expect(sql).toContain('FROM "fleetpulse_analyzer"."apps" a WHERE dt BETWEEN ? AND ?');
  });

  it('leaves out ExecutionParameters when the SQL has no ?', () => {
    expect(
      startQueryInput({ sql: 'SELECT 1', params: [], workGroup: 'wg', database: 'db' }),
    ).not.toHaveProperty('ExecutionParameters');
  });

  it('refuses a parameter that is not a day (it would be spliced into SQL)', () => {
    expect(() =>
      startQueryInput({
        sql: 'SELECT ?',
        params: ["2026-11-01' OR '1'='1"],
        workGroup: 'wg',
        database: 'db',
      }),
    ).toThrow(/not a day/);
  });
});

describe('rowsFromResultPages', () => {
  it('skips the header row of the first page only, typing cells from the metadata', () => {
    const pages = [
      page(
        [
          ['app', 'cpu_hours', 'devices'],
          ['chrome.exe', '0.042', '2'],
        ],
        true,
      ),
      page(
        [
          ['code.exe', '0.027', '1'],
          ['app', undefined, '9007199254740993'],
        ],
        false,
      ),
    ];

    expect(rowsFromResultPages(pages)).toEqual({
      columns: ['app', 'cpu_hours', 'devices'],
      rows: [
        { app: 'chrome.exe', cpu_hours: 0.042, devices: 2 },
        { app: 'code.exe', cpu_hours: 0.027, devices: 1 },
        { app: 'app', cpu_hours: null, devices: '9007199254740993' },
      ],
    });
  });

  it('gives the columns of an empty result', () => {
    expect(rowsFromResultPages([page([['app', 'cpu_hours', 'devices']], true)])).toEqual({
      columns: ['app', 'cpu_hours', 'devices'],
      rows: [],
    });
  });
});

/** An Athena client that answers from a script: the polling logic is pure given the answers. */
function scriptedClient(states: string[], failure?: string) {
  const sent: string[] = [];
  let polls = 0;
  // A real client (the paginator checks its class) whose requests never leave the process.
  const client = new AthenaClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  Object.assign(client, {
    send: async (command: { constructor: { name: string } }) => {
      const name = command.constructor.name;
      sent.push(name);
      if (name === 'StartQueryExecutionCommand') return { QueryExecutionId: 'q-1' };
      if (name === 'GetQueryExecutionCommand') {
        const state = states[Math.min(polls++, states.length - 1)];
        return {
          QueryExecution: {
            Status: { State: state, ...(failure ? { AthenaError: { ErrorMessage: failure } } : {}) },
            Statistics: { DataScannedInBytes: 2_000_000, TotalExecutionTimeInMillis: 1500 },
          },
        };
      }
      if (name === 'StopQueryExecutionCommand') return {};
      if (name === 'GetQueryResultsCommand')
        return page(
          [
            ['app', 'cpu_hours', 'devices'],
            ['a', '1', '1'],
          ],
          true,
        );
      throw new Error(`unexpected ${name}`);
    },
  });
  return { client, sent };
}

describe('runAthenaQuery', () => {
  const query = { sql: 'SELECT 1', params: [], workGroup: 'wg', database: 'db' };

  it('polls until the query succeeds, then reads its rows', async () => {
    const { client, sent } = scriptedClient(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const progress: string[] = [];
    let clock = 0;

    const result = await runAthenaQuery(client, query, {
      timeoutMs: 60_000,
      maxRows: 100,
      onProgress: (line) => progress.push(line),
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    });

    expect(result.rows).toEqual([{ app: 'a', cpu_hours: 1, devices: 1 }]);
    expect(sent.filter((s) => s === 'GetQueryExecutionCommand')).toHaveLength(3);
    expect(progress.at(-1)).toBe('athena: succeeded in 1.5 s, 2.0 MB scanned');
  });

  it("fails with Athena's own message", async () => {
    const { client } = scriptedClient(
      ['RUNNING', 'FAILED'],
      "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
    );

    await expect(
      runAthenaQuery(client, query, { timeoutMs: 60_000, maxRows: 100, sleep: async () => undefined }),
    ).rejects.toThrow(
      "Athena query q-1 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
    );
  });

  it('stops the query and says so when the wait runs out', async () => {
    const { client, sent } = scriptedClient(['RUNNING']);
    let clock = 0;

    await expect(
      runAthenaQuery(client, query, {
        timeoutMs: 10_000,
        maxRows: 100,
        sleep: async (ms) => {
          clock += ms;
        },
        now: () => clock,
      }),
    ).rejects.toThrow(/did not finish within 10 s and was stopped/);
    expect(sent).toContain('StopQueryExecutionCommand');
  });
});
