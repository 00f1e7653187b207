/**
 * `npm run bench`: figures, not assertions. Each section prints a table and writes its figures to
 * bench/results/, so they can be quoted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAnalyzerAgentTable, runAnalyzerAgentBench } from './analyzer-agent.ts';
import { formatAnalyzerWireTable, runAnalyzerWireBench } from './analyzer-wire.ts';
import { formatEfficiencyTable } from './efficiency.ts';
import { formatStoreTable, INVENTORY_CLOUD_BENCH, runInventoryCloudBench } from './inventory-store.ts';
import { formatThroughputTable } from './inventory-throughput.ts';
import { formatWireTable, runInventoryWireBench } from './inventory-wire.ts';

const RESULTS_DIR = join(import.meta.dirname, 'results');

async function main(): Promise<void> {
  const started = performance.now();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const wire = runInventoryWireBench({ devices: 50, steps: 100, seed: 20240601 });
  console.log(formatWireTable(wire));
  const analyzerWire = runAnalyzerWireBench({
    sessions: 30,
    batches: 12,
    sampleIntervalSec: 15,
    uploadIntervalSec: 300,
    seed: 20240603,
  });
  console.log(`\n${formatAnalyzerWireTable(analyzerWire)}`);
  const analyzerAgent = await runAnalyzerAgentBench({
    sessions: 3,
    ticks: 200,
    sampleIntervalSec: 15,
    uploadIntervalSec: 300,
  });
  console.log(`\n${formatAnalyzerAgentTable(analyzerAgent)}`);
  writeFileSync(
    join(RESULTS_DIR, 'analyzer.json'),
    `${JSON.stringify({ generatedBy: 'npm run bench', wire: analyzerWire, agent: analyzerAgent }, null, 2)}\n`,
  );
  // In a process of its own: it loads the handlers against emulators of its own, and their
  // module-scope clients would keep pointing there when the inventory bench loads them again.
  console.log('');
  execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'analyzer-cost.ts')], {
    stdio: 'inherit',
  });

  const { store, throughput, efficiency, rounds } = await runInventoryCloudBench(INVENTORY_CLOUD_BENCH);
  console.log(`\n${formatStoreTable(store)}`);
  console.log(`\n${formatThroughputTable(throughput)}`);
  console.log(`\n${formatEfficiencyTable(efficiency, throughput, rounds)}`);

  writeFileSync(
    join(RESULTS_DIR, 'inventory.json'),
    `${JSON.stringify({ generatedBy: 'npm run bench', wire, store, throughput, efficiency, rounds }, null, 2)}\n`,
  );
  console.log(`\nfigures written to ${join('bench', 'results', 'inventory.json')}`);
  // Its own process and cloud, as analyzer-cost: command latency API → device for 50 online devices.
  console.log('');
  execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'command-latency.ts')], {
    stdio: 'inherit',
  });
  // And the fan-out rate: one fleet-wide command to 1,000 registered devices (5,000: run it alone).
  console.log('');
  execFileSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'command-fanout.ts'), '1000'],
    {
      stdio: 'inherit',
    },
  );
  // The agent as deployed: the bundle under plain node, 3 analyzer sessions, 10 minutes.
  console.log('');
  execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'agent-footprint.ts')], {
    stdio: 'inherit',
  });
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
