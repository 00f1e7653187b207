/**
 * The features `fleetpulse-agent` runs on a real machine, in order: inventory from the real
 * collectors, then the session analyzer with the OS's own session source (none on a platform
 * without one yet: said once, and the agent runs without it), and the Wake-on-LAN bridge.
 * Intervals come from the policy.
 */
import { AnalyzerModule, type AnalyzerModuleOptions } from './analyzer/module.ts';
import { InventoryModule, realCollectors } from './inventory/index.ts';
import type { AgentModule } from './module.ts';
import { WakeModule } from './wake/module.ts';

export interface RealModulesOptions {
  /** Tests replace the session source or shorten the intervals; a real agent passes nothing. */
  readonly analyzer?: AnalyzerModuleOptions;
}

export function realAgentModules(options: RealModulesOptions = {}): AgentModule[] {
  return [
    new InventoryModule({ collectors: realCollectors() }),
    new AnalyzerModule(options.analyzer),
    new WakeModule(),
  ];
}
