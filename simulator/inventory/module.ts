/**
 * The inventory module over a simulated host, for the fleet simulator's `modules` option. It also
 * answers `network()`: the fleet's simulated Wake-on-LAN bridge plans from the same interfaces the
 * inventory reports, as a real bridge's interfaces are the ones its inventory lists.
 */

import { InventoryModule, type InventoryModuleOptions } from '#agent/inventory/module.ts';
import type { JsonObject } from '#protocol/inventory.ts';
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
): InventoryModule & { network(): JsonObject | undefined } {
  const hostSeed = (seed ^ hashString(deviceId)) >>> 0;
  const host = new SimulatedHost(hostSeed, { hostname: deviceId, ...hostOptions });
  const churn = createRng(hostSeed ^ 0x5eed);
  const module = new InventoryModule({
    collectors: host.collectors(),
    intervalMs,
    openSequenceStore,
    collectorTimeoutMs,
    beforePass: () => host.step(churn),
  });
  return Object.assign(module, { network: () => host.network() });
}
