import { describe, expect, it } from 'vitest';
import { namedQueries } from '#lambdas/analyzer/queries.ts';
import {
  dayParameters,
  NotAQueryError,
  placeholderCount,
  readOnlyQuery,
} from '#lambdas/analyzer/sql-statement.ts';
import { dayArg, dayRange, resolveQuery } from '../../cli/analyzer-command.ts';

describe('readOnlyQuery', () => {
  it.each([
    ['SELECT 1', 'SELECT 1'],
    ['  select * from samples;  ', '  select * from samples'],
    ['-- why\n/* note */ (SELECT 1)', '-- why\n/* note */ (SELECT 1)'],
    ['WITH x AS (SELECT 1) SELECT * FROM x;;', 'WITH x AS (SELECT 1) SELECT * FROM x'],
    ['SELECT \';\' AS semi, "a;b" FROM samples', 'SELECT \';\' AS semi, "a;b" FROM samples'],
    ['SELECT 1; -- done', 'SELECT 1'],
  ])('accepts %j', (sql, kept) => {
    expect(readOnlyQuery(sql)).toBe(kept);
  });

  it.each([
    ['DELETE FROM samples', /starts with DELETE/],
    ['  insert into samples values (1)', /starts with INSERT/],
    ['/* SELECT */ DROP TABLE apps', /starts with DROP/],
    ["COPY samples TO 'x.csv'", /starts with COPY/],
    ['SELECT 1; DROP TABLE samples', /one statement at a time/],
    ["SELECT 'it''s'; DELETE FROM apps", /one statement at a time/],
    ['PRAGMA version', /starts with PRAGMA/],
    ['   -- nothing', /empty/],
  ])('refuses %j', (sql, message) => {
    expect(() => readOnlyQuery(sql)).toThrow(NotAQueryError);
    expect(() => readOnlyQuery(sql)).toThrow(message);
  });
});

describe('placeholders and the day range', () => {
  it('counts ? outside strings, quoted names and comments', () => {
    expect(
      placeholderCount('SELECT \'?\' AS q, "?" FROM samples WHERE dt BETWEEN ? AND ? -- ?\n/* ? */'),
    ).toBe(2);
  });

  it('binds the days in pairs, first then last, for every table read', () => {
    const sql =
      'SELECT 1 FROM samples WHERE dt BETWEEN ? AND ? UNION ALL SELECT 1 FROM apps WHERE dt BETWEEN ? AND ?';
    expect(dayParameters(sql, '2026-11-01', '2026-11-07')).toEqual([
      '2026-11-01',
      '2026-11-07',
      '2026-11-01',
      '2026-11-07',
    ]);
  });

  it('refuses an odd number of ?', () => {
    expect(() => dayParameters('SELECT * FROM samples WHERE dt = ?', 'a', 'b')).toThrow(/come in pairs/);
  });

  it('binds every named query to exactly one first and last day per table read', () => {
    for (const query of namedQueries) expect(placeholderCount(query.sql) % 2).toBe(0);
  });

  it('defaults to the week ending today (UTC)', () => {
    expect(dayRange({}, Date.UTC(2026, 10, 29, 23, 59))).toEqual({ from: '2026-11-23', to: '2026-11-29' });
    expect(dayRange({ to: '2026-03-02' })).toEqual({ from: '2026-02-24', to: '2026-03-02' });
  });

  it('refuses a range that ends before it starts', () => {
    expect(() => dayRange({ from: '2026-11-08', to: '2026-11-07' })).toThrow(/after --to/);
  });

  it.each(['2026-02-30', '2026-1-01', '26-01-01', 'yesterday', '2026-13-01'])('refuses the day %j', (day) => {
    expect(() => dayArg(day)).toThrow(/YYYY-MM-DD/);
  });
});

describe('resolveQuery', () => {
  it('runs a named query by its name with its SQL and the day range', () => {
    const query = resolveQuery('top-apps-by-cpu', { from: '2026-11-01', to: '2026-11-02' });

    expect(query.named?.name).toBe('top-apps-by-cpu');
    expect(query.sql).toBe(namedQueries.find((q) => q.name === 'top-apps-by-cpu')?.sql);
    expect(query.params).toEqual(['2026-11-01', '2026-11-02']);
  });

  it('takes any other argument as SQL, checked before it runs', () => {
    expect(resolveQuery('SELECT count(*) FROM apps', {}).params).toEqual([]);
    expect(() => resolveQuery('top-apps-by-memory', {})).toThrow(/starts with TOP/);
  });

  it('refuses --from/--to for SQL that has no ? to bind them to', () => {
    expect(() => resolveQuery('SELECT count(*) FROM apps', { from: '2026-11-01' })).toThrow(
      /has none: filter with dt BETWEEN \? AND \?/,
    );
  });
});
