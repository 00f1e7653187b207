/**
 * `npm run bundles`: builds every handler the wiring deploys exactly as CDK bundles it, prints each
 * bundle's size (raw and gzip), its heaviest packages and its module init time, writes the figures
 * to bench/results/bundles.json, and exits non-zero when a bundle is over budget.
 *
 * Init time is how long `await import(bundle)` takes in a fresh Node process with the Lambda
 * environment variables the handler reads at load (median of several processes): the part of a
 * cold start the bundle controls. Pass `--runs N` to change how many processes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BUNDLE_TARGET } from '#lib/bundling.ts';
import { SERVICE_NAME } from '#lib/fleet-function.ts';
import { buckets, queues, tables } from '#wiring/fleet.ts';
import { IOT_DATA_ENDPOINT_ENV } from '#wiring/resources.ts';
import { type BuiltBundle, buildHandlerBundle, handlerEntries, MAX_BUNDLE_BYTES } from './bundle-sizes.ts';

const RESULTS_FILE = join(import.meta.dirname, 'results', 'bundles.json');

/** What Lambda and lib/ set before the module loads; values are placeholders, nothing is called. */
function lambdaEnvironment(functionName: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'placeholder',
    AWS_SESSION_TOKEN: 'placeholder',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    // Lambda runs Node 22; on an older Node the SDK prints a support notice at load, which is not init.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [IOT_DATA_ENDPOINT_ENV]: 'https://example.iot.eu-west-1.amazonaws.com',
  };
  for (const spec of [...Object.values(tables), ...Object.values(buckets), ...Object.values(queues)]) {
    env[spec.envVar] = spec.localName;
  }
  return env;
}

const IMPORT_TIMER =
  'const t = performance.now(); await import(process.env.BUNDLE_URL); process.stdout.write(String(performance.now() - t));';

/** Median time, in ms, to import `file` in a fresh process (as deployed: with source maps enabled). */
export function measureInitMs(file: string, functionName: string, runs: number): number {
  const env = { ...lambdaEnvironment(functionName), BUNDLE_URL: pathToFileURL(file).href };
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', IMPORT_TIMER],
      { env, encoding: 'utf8' },
    );
    samples.push(Number(out));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

interface Row {
  readonly bundle: BuiltBundle;
  readonly initMs: number;
}

function formatTable(rows: readonly Row[]): string {
  const lines = [
    `handler bundles (esbuild as CDK runs it, target ${BUNDLE_TARGET}; budget ${kib(MAX_BUNDLE_BYTES)} each)`,
    `${'handler'.padEnd(10)} ${'minified'.padStart(10)} ${'gzip'.padStart(9)} ${'init ms'.padStart(8)}  heaviest packages`,
  ];
  for (const { bundle, initMs } of rows) {
    const over = bundle.bytes > MAX_BUNDLE_BYTES ? '  OVER BUDGET' : '';
    const heaviest = bundle.heaviest
      .slice(0, 4)
      .map(([pkg, bytes]) => `${pkg} ${kib(bytes)}`)
      .join(', ');
    lines.push(
      `${bundle.name.padEnd(10)} ${kib(bundle.bytes).padStart(10)} ${kib(bundle.gzipBytes).padStart(9)} ${initMs.toFixed(0).padStart(8)}  ${heaviest}${over}`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const outDir = mkdtempSync(join(tmpdir(), 'fleetpulse-bundles-'));
  try {
    const rows: Row[] = [];
    for (const handler of handlerEntries()) {
      const bundle = await buildHandlerBundle(handler, outDir);
      rows.push({ bundle, initMs: measureInitMs(bundle.file, handler.name, runs) });
    }
    console.log(formatTable(rows));
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
    const figures = rows.map(({ bundle, initMs }) => ({
      handler: bundle.name,
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      initMsMedian: Number(initMs.toFixed(1)),
      heaviest: Object.fromEntries(bundle.heaviest.slice(0, 8)),
    }));
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify({ generatedBy: 'npm run bundles', node: process.version, runs, maxBytes: MAX_BUNDLE_BYTES, bundles: figures }, null, 2)}\n`,
    );
    console.log(`\nfigures written to ${join('bench', 'results', 'bundles.json')}`);
    const over = rows.filter(({ bundle }) => bundle.bytes > MAX_BUNDLE_BYTES);
    if (over.length > 0) {
      console.error(
        `over budget: ${over.map(({ bundle }) => `${bundle.name} (${kib(bundle.bytes)})`).join(', ')}`,
      );
      process.exitCode = 1;
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
