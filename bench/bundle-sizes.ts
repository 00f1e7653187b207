/**
 * Builds each Lambda handler the way CDK bundles it (lib/bundling.ts) and measures the result.
 * Shared by `npm run bundles` (sizes and init times) and test/cdk/bundle-size.test.ts (sizes only).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bytesByPackage } from '#agent/packaging/bundle.ts';
import { BUNDLE_FILE, handlerBuildOptions } from '#lib/bundling.ts';
import { functions } from '#wiring/fleet.ts';

/** Largest handler bundle (minified code, source map not counted) we accept: issue 7's budget. */
export const MAX_BUNDLE_BYTES = 600 * 1024;

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

export interface HandlerEntry {
  readonly name: string;
  /** Absolute path of the handler module. */
  readonly entry: string;
}

/** Every handler the wiring deploys; the one place that knows the wiring's shape. */
export function handlerEntries(): HandlerEntry[] {
  return Object.entries(functions).map(([name, spec]) => ({
    name,
    entry: resolve(PROJECT_ROOT, spec.entry),
  }));
}

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes of bundle output per npm package (or first-party folder), largest first. */
  readonly heaviest: ReadonlyArray<readonly [string, number]>;
}

export async function buildHandlerBundle(handler: HandlerEntry, outDir: string): Promise<BuiltBundle> {
  const file = join(outDir, handler.name, BUNDLE_FILE);
  const result = await build({ ...handlerBuildOptions(handler.entry, file), metafile: true });
  const code = readFileSync(file);
  return {
    name: handler.name,
    file,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    heaviest: bytesByPackage(result.metafile),
  };
}
