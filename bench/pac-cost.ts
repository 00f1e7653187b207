/**
 * What a PAC file costs the agent: memory (RSS, heap, external) once the evaluator is loaded, the
 * first look-up (load QuickJS, compile the PAC) and the cached ones. Agents without a PAC never load
 * it: the figure is what a PAC URL adds.
 *
 *   node --expose-gc --import tsx bench/pac-cost.ts    → bench/results/pac.json
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPaths } from '#agent/transport/paths.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
function memory() {
  gc();
  const m = process.memoryUsage();
  return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
}

const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-pac-bench-'));
const pacPath = join(dir, 'corp.pac');
await writeFile(
  pacPath,
  `function FindProxyForURL(url, host) {
     if (isPlainHostName(host) || shExpMatch(host, "*.corp.internal")) return "DIRECT";
     if (dnsDomainIs(host, ".amazonaws.com")) return "PROXY proxy1.corp:3128; PROXY proxy2.corp:3128; DIRECT";
     return "DIRECT";
   }`,
);
const config = { endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8883 };
const options = { connectTimeoutMs: 15_000, env: {} };

await buildPaths({ ...config, proxies: [{ url: 'http://proxy1.corp:3128' }] }, undefined, options);
const withoutPac = memory();

let started = performance.now();
const first = await buildPaths({ ...config, pacUrl: pathToFileURL(pacPath).href }, undefined, options);
const firstLookupMs = performance.now() - started;
const withPac = memory();

const runs = 200;
started = performance.now();
for (let i = 0; i < runs; i += 1)
  await buildPaths({ ...config, pacUrl: pathToFileURL(pacPath).href }, undefined, options);
const cachedLookupMs = (performance.now() - started) / runs;
const afterRuns = memory();

const result = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  paths: first.paths.map((p) => p.name),
  withoutPac,
  withPac,
  afterCachedLookups: afterRuns,
  pacAddsRssMiB: Math.round((withPac.rssMiB - withoutPac.rssMiB) * 10) / 10,
  firstLookupMs: Math.round(firstLookupMs),
  cachedLookupMs: Math.round(cachedLookupMs * 100) / 100,
};
await rm(dir, { recursive: true, force: true });
const out = resolve(import.meta.dirname, 'results', 'pac.json');
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
process.exit(0);
