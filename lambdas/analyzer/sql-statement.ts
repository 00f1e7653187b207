/**
 * What an operator's SQL text is, before either engine sees it: one read-only query (SELECT or
 * WITH … SELECT), and how many `?` it binds. Both DuckDB (locally) and Athena (in AWS) run the same
 * text, so the check is lexical and shared; DuckDB's parser then checks again locally.
 *
 * `?` are the day range: first day, last day, and again for each further table read, as in the
 * named queries (queries.ts).
 */

export type Row = Record<string, unknown>;

/** What a query returns, whichever engine ran it. */
export interface QueryResult {
  /** Column names in the order the query returns them (also when there are no rows). */
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

/** The statement is not one read-only query, or its parameters do not fit; the message says why. */
export class NotAQueryError extends Error {
  override readonly name = 'NotAQueryError';
}

interface Scan {
  /** The first word outside comments and opening parentheses, upper-cased. */
  readonly firstWord: string;
  readonly placeholders: number;
  /** Offsets of `;` outside strings, identifiers and comments. */
  readonly semicolons: readonly number[];
  /** Offset just past the last character that is not whitespace or a comment. */
  readonly contentEnd: number;
}

function scan(sql: string): Scan {
  let firstWord = '';
  let seekingFirstWord = true;
  let placeholders = 0;
  const semicolons: number[] = [];
  let contentEnd = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      seekingFirstWord = false;
      // A doubled quote is the quote itself; an unterminated literal runs to the end.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      i = Math.min(j + 1, sql.length);
      contentEnd = i;
      continue;
    }
    if (seekingFirstWord && c !== '(') {
      firstWord = /^[A-Za-z_]+/.exec(sql.slice(i))?.[0]?.toUpperCase() ?? c;
      seekingFirstWord = false;
    }
    if (c === '?') placeholders++;
    if (c === ';') semicolons.push(i);
    i++;
    contentEnd = i;
  }
  return { firstWord, placeholders, semicolons, contentEnd };
}

/**
 * The query without trailing `;`, or NotAQueryError: empty, several statements, or a statement
 * that is not SELECT / WITH.
 */
export function readOnlyQuery(sql: string): string {
  const { firstWord, semicolons, contentEnd } = scan(sql);
  if (firstWord === '') throw new NotAQueryError('the SQL is empty');
  const trailing = semicolons.filter((at) => sql.slice(at + 1, contentEnd).replace(/[\s;]/g, '') === '');
  if (semicolons.length > trailing.length) {
    throw new NotAQueryError('one statement at a time: the SQL holds more than one (a ; in the middle)');
  }
  if (firstWord !== 'SELECT' && firstWord !== 'WITH') {
    throw new NotAQueryError(
      `only SELECT (or WITH … SELECT) queries are allowed; this statement starts with ${firstWord}`,
    );
  }
  const end = trailing[0] ?? sql.length;
  return sql.slice(0, end).trimEnd();
}

/** How many `?` the SQL binds (outside strings, quoted identifiers and comments). */
export const placeholderCount = (sql: string): number => scan(sql).placeholders;

/** The values for the query's `?`: first day, last day, repeated per table read. */
export function dayParameters(sql: string, from: string, to: string): string[] {
  const count = placeholderCount(sql);
  if (count % 2 !== 0) {
    throw new NotAQueryError(
      `the SQL has ${count} ? but they come in pairs (first day, last day: dt BETWEEN ? AND ?)`,
    );
  }
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? from : to));
}
