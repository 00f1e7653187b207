/**
 * Every handler, bundled as CDK bundles it, stays within the size budget (issue 7: ≤ 600 KB). A
 * handler that starts importing every AWS client, all of zod (`import { z } from 'zod'`) or the X-Ray
 * SDK again fails here. Init times and the full table: `npm run bundles`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BuiltBundle,
  buildHandlerBundle,
  type HandlerEntry,
  handlerEntries,
  MAX_BUNDLE_BYTES,
} from '../../bench/bundle-sizes.ts';

const outDir = mkdtempSync(join(tmpdir(), 'fleetpulse-bundle-size-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const builds = new Map<string, Promise<BuiltBundle>>();
function bundleOf(handler: HandlerEntry): Promise<BuiltBundle> {
  let build = builds.get(handler.name);
  if (!build) {
    build = buildHandlerBundle(handler, outDir);
    builds.set(handler.name, build);
  }
  return build;
}

describe('handler bundles', () => {
  it('cover every function the wiring deploys', () => {
    expect(handlerEntries().map((h) => h.name)).toEqual(expect.arrayContaining(['heartbeat', 'reports']));
  });

  it.each(handlerEntries())('$name is within the bundle budget', async (handler) => {
    const bundle = await bundleOf(handler);
    const heaviest = bundle.heaviest.slice(0, 5).map(([pkg, bytes]) => `${pkg} ${bytes}`);
    expect(bundle.bytes, `heaviest: ${heaviest.join(', ')}`).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('does not carry the X-Ray SDK or the SDK credential chain beyond the environment', async () => {
    const [first] = handlerEntries();
    if (!first) throw new Error('the wiring declares no functions');
    const packages = (await bundleOf(first)).heaviest.map(([pkg]) => pkg);
    expect(packages).not.toContain('aws-xray-sdk-core');
    expect(packages).not.toContain('@aws-sdk/nested-clients');
    expect(packages).not.toContain('@aws-sdk/credential-provider-node');
  });
});
