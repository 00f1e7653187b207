/**
 * `npm run build:agent`: writes dist/agent/fleetpulse-agent.mjs (and its source map), the one file
 * to copy to a machine and run with `node fleetpulse-agent.mjs run --config agent.json`.
 */
import { relative } from 'node:path';
import {
  AGENT_DIST_DIR,
  buildAgentBundle,
  bytesByPackage,
  MAX_AGENT_BUNDLE_BYTES,
  PROJECT_ROOT,
} from './bundle.ts';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

const built = await buildAgentBundle(AGENT_DIST_DIR);
const heaviest = bytesByPackage(built.metafile)
  .slice(0, 6)
  .map(([pkg, bytes]) => `${pkg} ${kib(bytes)}`)
  .join(', ');
console.log(
  `${relative(PROJECT_ROOT, built.file)}: ${kib(built.bytes)} (budget ${kib(MAX_AGENT_BUNDLE_BYTES)})`,
);
console.log(`heaviest: ${heaviest}`);
if (built.bytes > MAX_AGENT_BUNDLE_BYTES) {
  console.error('the agent bundle is over budget');
  process.exitCode = 1;
}
