/**
 * `npm run adversarial`: every kind (the fast ones and the slow ones: floods, restarts, kill -9)
 * against a local cloud of its own; prints the table and exits 1 if any kind failed.
 * `npm run adversarial -- --fast` runs only the kinds `npm test` runs; `-- --grep <text>` filters.
 */
import { allKinds, fastKinds } from './kinds.ts';
import { formatTable, type KindResult, runKind, startAdversarialCloud } from './run.ts';

const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args[grepAt + 1]?.toLowerCase() : undefined;
const kinds = (args.includes('--fast') ? fastKinds : allKinds).filter(
  (k) => !grep || `${k.entry} ${k.name}`.toLowerCase().includes(grep),
);

const cloud = await startAdversarialCloud();
const results: KindResult[] = [];
try {
  for (const kind of kinds) {
    const result = await runKind(cloud.ctx, kind);
    results.push(result);
    process.stderr.write(
      `${result.passed ? 'pass' : 'FAIL'}  ${kind.entry}  ${kind.name} (${result.ms} ms)\n`,
    );
  }
} finally {
  await cloud.stop();
}
process.stdout.write(`\n${formatTable(results)}\n`);
process.exit(results.every((r) => r.passed) ? 0 : 1);
