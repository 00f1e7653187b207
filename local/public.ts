/**
 * The local cloud's public surface for tools outside it (the CLI): the dev CA that signs device
 * certificates, how local Lambda functions are named, and DuckDB over the analyzer's query layout. Everything else under local/ is
 * internal and may change without the CLI noticing; test/unit/layering.test.ts holds cli/ to this.
 */
import type { QueryResult } from '#lambdas/analyzer/sql-statement.ts';

export { type DevCa, ensureDevCa, type IssuedCert, issueDeviceCert } from './dev-ca.ts';
export { lambdaFunctionName } from './lambda-context.ts';

/**
 * DuckDB over a folder holding the analyzer's query layout (local/analyzer-sql.ts `runQuery`). Loaded
 * on first use, so commands that never query do not load DuckDB's native library.
 */
export async function runAnalyzerQuery(
  dir: string,
  sql: string,
  params: readonly string[],
): Promise<QueryResult> {
  const { runQuery } = await import('./analyzer-sql.ts');
  return runQuery(dir, sql, params);
}
