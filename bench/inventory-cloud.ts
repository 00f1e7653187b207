/**
 * `npm run bench:inventory`: only the inventory part of `npm run bench` that runs on the local cloud
 * (capacity per report, merge throughput, pipeline efficiency), with the same options. It rewrites
 * those figures in bench/results/inventory.json and keeps the wire figures already there.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatEfficiencyTable } from './efficiency.ts';
import { formatStoreTable, INVENTORY_CLOUD_BENCH, runInventoryCloudBench } from './inventory-store.ts';
import { formatThroughputTable } from './inventory-throughput.ts';

const RESULTS = join(import.meta.dirname, 'results', 'inventory.json');

const { store, throughput, efficiency, rounds } = await runInventoryCloudBench(INVENTORY_CLOUD_BENCH);
console.log(formatStoreTable(store));
console.log(`\n${formatThroughputTable(throughput)}`);
console.log(`\n${formatEfficiencyTable(efficiency, throughput, rounds)}`);
const previous: Record<string, unknown> = existsSync(RESULTS)
  ? JSON.parse(readFileSync(RESULTS, 'utf8'))
  : {};
writeFileSync(
  RESULTS,
  `${JSON.stringify({ ...previous, generatedBy: 'npm run bench (store, throughput, efficiency: npm run bench:inventory)', store, throughput, efficiency, rounds }, null, 2)}\n`,
);
console.log(`\nfigures written to ${join('bench', 'results', 'inventory.json')}`);
