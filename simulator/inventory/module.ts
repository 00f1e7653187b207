/** The inventory module over a simulated host, for the fleet simulator's `modules` option. */

import { InventoryModule, type InventoryModuleOptions } from '#agent/inventory/module.ts';
import { createRng, hashString, SimulatedHost, type SimulatedHostOptions } from './generated-host.ts';

export interface SimulatedInventoryOptions extends SimulatedHostOptions {
  /** Simulated agents collect faster than real ones. @default 60 s */
  readonly intervalMs?: number;
  readonly openSequenceStore?: InventoryModuleOptions['openSequenceStore'];
  readonly collectorTimeoutMs?: number;
}

export function simulatedInventoryModule(
  deviceId: string,
  seed: number,
  {
    intervalMs = 60_000,
    openSequenceStore,
    collectorTimeoutMs,
    ...hostOptions
  }: SimulatedInventoryOptions = {},
): InventoryModule {
  const hostSeed = (seed ^ hashString(deviceId)) >>> 0;
  const host = new SimulatedHost(hostSeed, { hostname: deviceId, ...hostOptions });
  const churn = createRng(hostSeed ^ 0x5eed);
  return new InventoryModule({
    collectors: host.collectors(),
    intervalMs,
    openSequenceStore,
    collectorTimeoutMs,
    beforePass: () => host.step(churn),
  });
}
