/**
 * `npm run bench`: figures, not assertions. Each section prints a table and writes its figures to
 * bench/results/, so they can be quoted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatWireTable, runInventoryWireBench } from './inventory-wire.ts';

const RESULTS_DIR = join(import.meta.dirname, 'results');

function main(): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const wire = runInventoryWireBench({ devices: 50, steps: 100, seed: 20240601 });
  console.log(formatWireTable(wire));
  writeFileSync(
    join(RESULTS_DIR, 'inventory.json'),
    `${JSON.stringify({ generatedBy: 'npm run bench', wire }, null, 2)}\n`,
  );
  console.log(`\nfigures written to ${join('bench', 'results', 'inventory.json')}`);
}

main();
