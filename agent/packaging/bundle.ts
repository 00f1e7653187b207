/**
 * The agent as IT installs it: one ES module file that plain `node` runs, with no node_modules
 * beside it. `npm run build:agent` writes it (build-agent.ts); the bundle test and the footprint
 * bench build it the same way through agentBuildOptions().
 *
 * Two modules are swapped at build time, each because the original reads a file from the source
 * tree at run time, which a single file cannot do:
 * - agent/version.ts reads package.json: the bundle carries the version as a constant.
 * - agent/transport/pac/quickjs-wasm.ts reads quickjs-wasi's wasm: the bundle embeds the bytes,
 *   compressed, and decompresses them at the first PAC look-up only.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const AGENT_ENTRY = join(PROJECT_ROOT, 'cli', 'fleetpulse-agent.ts');
export const AGENT_BUNDLE_FILE = 'fleetpulse-agent.mjs';
/** Where `npm run build:agent` writes the bundle. */
export const AGENT_DIST_DIR = join(PROJECT_ROOT, 'dist', 'agent');

/** The oldest Node the agent supports (package.json engines). */
export const AGENT_TARGET = 'node20';

/**
 * Largest bundle we accept (minified, source map not counted). Today's is ~0.9 MB without PAC;
 * the embedded QuickJS wasm adds ~0.85 MB of base64 once PAC lands.
 */
export const MAX_AGENT_BUNDLE_BYTES = 2.5 * 1024 * 1024;

/** Packages of the cloud side: never in the agent (size, native code, and no use on a device). */
export const CLOUD_ONLY_PACKAGES: readonly string[] = [
  '@aws-sdk/',
  '@smithy/',
  '@aws-lambda-powertools/',
  '@duckdb/',
  '@middy/',
  'aws-cdk-lib',
  'aedes',
  'dynalite',
  'classic-level',
  'hyparquet-writer',
];

/** esbuild emits ESM; bundled CommonJS dependencies still call require() for Node built-ins. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const VERSION_MODULE = /[\\/]agent[\\/]version\.ts$/;
/** 10a's PAC support loads the wasm through this one module; absent before it lands. */
const QUICKJS_WASM_MODULE = /[\\/]transport[\\/]pac[\\/]quickjs-wasm(\.ts)?$/;
export const QUICKJS_WASM_SPECIFIER = 'quickjs-wasi/quickjs.wasm';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The version as a constant instead of a package.json read. */
export const agentVersionPlugin: Plugin = {
  name: 'fleetpulse-agent-version',
  setup(build) {
    build.onLoad({ filter: VERSION_MODULE }, () => ({
      contents: `export const AGENT_VERSION = ${JSON.stringify(packageVersion())};`,
      loader: 'ts',
    }));
  },
};

/**
 * The QuickJS wasm embedded in the bundle in place of the file read: brotli-compressed and
 * base64-encoded (330 KB of source instead of 850 KB as plain base64; V8 keeps a script's whole
 * source in the heap, so every agent would pay for those bytes, PAC or not), decompressed at the
 * first look-up. Resolved by name so it works whether or not the original module exists yet.
 */
export const embeddedQuickJsWasmPlugin: Plugin = {
  name: 'fleetpulse-embedded-quickjs-wasm',
  setup(build) {
    // Imported as './quickjs-wasm.ts' from its folder: match the specifier's file name, then check
    // the folder it resolves to.
    build.onResolve({ filter: /quickjs-wasm(\.ts)?$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      return QUICKJS_WASM_MODULE.test(path) ? { path, namespace: 'embedded-quickjs-wasm' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'embedded-quickjs-wasm' }, () => {
      const wasmPath = createRequire(join(PROJECT_ROOT, 'package.json')).resolve(QUICKJS_WASM_SPECIFIER);
      const wasm = readFileSync(wasmPath);
      const packed = brotliCompressSync(wasm, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: wasm.length,
        },
      }).toString('base64');
      return {
        contents: [
          "import { brotliDecompressSync } from 'node:zlib';",
          'export async function loadQuickJsWasm(): Promise<Uint8Array> {',
          `  return brotliDecompressSync(Buffer.from(${JSON.stringify(packed)}, 'base64'));`,
          '}',
        ].join('\n'),
        loader: 'ts',
        watchFiles: [wasmPath],
      };
    });
  },
};

export function agentBuildOptions(outfile: string, entry = AGENT_ENTRY): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: AGENT_TARGET,
    // ESM builds of dependencies (zod) tree-shake; their CommonJS builds do not.
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [agentVersionPlugin, embeddedQuickJsWasmPlugin],
    metafile: true,
    logLevel: 'warning',
  };
}

/** Inputs of the bundle that belong to a cloud-only package (none expected). */
export function cloudOnlyInputs(inputs: Iterable<string>): string[] {
  return [...inputs].filter((path) =>
    CLOUD_ONLY_PACKAGES.some((pkg) => path.includes(`node_modules/${pkg}`)),
  );
}

export interface BuiltAgent {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Builds the bundle into `outDir` (created if missing). */
export async function buildAgentBundle(outDir: string = AGENT_DIST_DIR): Promise<BuiltAgent> {
  const file = join(outDir, AGENT_BUNDLE_FILE);
  const result = await build(agentBuildOptions(file));
  if (result.metafile === undefined) throw new Error('esbuild returned no metafile');
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

/** Bytes of the bundle per npm package (or first-party folder), largest first. */
export function bytesByPackage(metafile: Metafile): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}
