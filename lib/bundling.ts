/**
 * How every handler is bundled, in one place: lib/fleet-function.ts hands these settings to CDK's
 * NodejsFunction, and bench/bundles.ts builds the same bundles with esbuild directly to measure them,
 * so the sizes it reports are the sizes CDK deploys.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The bundle targets the Lambda runtime lib/fleet-function.ts deploys (Node.js 22). */
export const BUNDLE_TARGET = 'node22';

/** esbuild emits ESM; bundled CommonJS dependencies still call require() for Node built-ins. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Modules replaced in the bundles, as esbuild `alias` (the replacement is an absolute path, so it
 * holds whatever directory esbuild runs in; Docker bundling, which we never use, would not see it).
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // Lambda's credentials are in the environment; see the module for what this drops.
  '@aws-sdk/credential-provider-node': fileURLToPath(
    new URL('../lambdas/commons/aws/lambda-credentials.ts', import.meta.url),
  ),
};

/** The subset of NodejsFunction's BundlingOptions we set (other than Docker, which we never use). */
export const HANDLER_BUNDLING = {
  target: BUNDLE_TARGET,
  // ESM-first packages (zod, the AWS SDK's dist-es) tree-shake; their CommonJS builds do not.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK too: handlers run with the versions package-lock.json pins and the tests
  // use, not whatever copy the runtime ships this month.
  externalModules: [] as string[],
  esbuildArgs: {
    '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
  },
} as const;

/** File name CDK gives an ESM bundle. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The esbuild options CDK derives from HANDLER_BUNDLING (aws-lambda-nodejs bundling.ts passes them
 * as CLI flags: --bundle --platform=node --format=esm ...), for building a handler outside CDK.
 */
export function handlerBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: HANDLER_BUNDLING.target,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    banner: { js: HANDLER_BUNDLING.banner },
    minify: HANDLER_BUNDLING.minify,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    sourcesContent: HANDLER_BUNDLING.sourcesContent,
    external: [...HANDLER_BUNDLING.externalModules],
    alias: { ...BUNDLE_ALIASES },
    logLevel: 'warning',
  };
}
