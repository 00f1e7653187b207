import { formatEfficiencyTable } from './efficiency.ts';
import { formatThroughputTable, INVENTORY_CLOUD_BENCH, runInventoryCloudBench } from './inventory-store.ts';

const o = INVENTORY_CLOUD_BENCH;
const { throughput, efficiency } = await runInventoryCloudBench({
  ...o,
  store: { devices: 2, steps: 3, seed: 20240601, concurrency: 4 },
  raw: { ...o.raw, durationMs: Number(process.env.RAW_MS ?? 5000) },
  ceiling: { ...o.ceiling, durationMs: Number(process.env.RAW_MS ?? 5000) },
});
console.log(formatThroughputTable(throughput));
console.log(formatEfficiencyTable(efficiency, throughput));
process.exit(0);
