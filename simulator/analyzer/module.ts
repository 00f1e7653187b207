/**
 * The analyzer module over a simulated machine, for the fleet simulator's `modules` option: a
 * desktop with one user, or (one Windows machine in ten) a terminal server with 5–30 sessions.
 */
import { AnalyzerModule, type AnalyzerModuleOptions } from '#agent/analyzer/module.ts';
import { FileSessionSequences } from '#agent/analyzer/session-sequences.ts';
import type { HostProbe } from '#agent/host.ts';
import type { UserSession } from '#protocol/heartbeat.ts';
import { createRng, hashString } from '../rng.ts';
import { SimulatedAnalyzerSource } from './source.ts';

export interface SimulatedAnalyzerOptions {
  /** Overrides the policy's intervals (npm start's short ones); absent: the policy's (15 s / 300 s). */
  readonly sampleIntervalSec?: number;
  readonly uploadIntervalSec?: number;
  /** @default one Windows machine in ten, chosen by the seed */
  readonly terminalServer?: boolean;
}

/** The policy default, used for the samples' length when no override is given. */
const DEFAULT_SAMPLE_INTERVAL_SEC = 15;
const TERMINAL_SERVER_SHARE = 0.1;

export function isSimulatedTerminalServer(deviceId: string, seed: number, host: HostProbe): boolean {
  return (
    host.platform === 'windows' &&
    createRng((seed ^ hashString(`ts:${deviceId}`)) >>> 0).chance(TERMINAL_SERVER_SHARE)
  );
}

/** The analyzer over a simulated machine, which also tells the machine's sessions to its heartbeat. */
export class SimulatedAnalyzerModule extends AnalyzerModule {
  constructor(
    private readonly source: SimulatedAnalyzerSource,
    options: AnalyzerModuleOptions,
  ) {
    super({ ...options, source });
  }

  /** The sessions the analyzer sees, for the simulated host's heartbeat (one machine, one truth). */
  async userSessions(): Promise<UserSession[]> {
    return this.source.userSessions();
  }
}

export function simulatedAnalyzerModule(
  deviceId: string,
  seed: number,
  host: HostProbe,
  options: SimulatedAnalyzerOptions = {},
): SimulatedAnalyzerModule {
  const { sampleIntervalSec, uploadIntervalSec } = options;
  const source = new SimulatedAnalyzerSource({
    seed: (seed ^ hashString(deviceId)) >>> 0,
    platform: host.platform === 'windows' ? 'windows' : 'linux',
    terminalServer: options.terminalServer ?? isSimulatedTerminalServer(deviceId, seed, host),
    sampleIntervalSec: sampleIntervalSec ?? DEFAULT_SAMPLE_INTERVAL_SEC,
  });
  return new SimulatedAnalyzerModule(source, {
    // In memory: thousands of agents in one process must not fsync on the event loop for every
    // batch. Simulated session ids carry their logon time, so a restarted fleet never reuses a
    // (session, sequence) pair that the cloud would take for a redelivery.
    openSequences: () => FileSessionSequences.inMemory(),
    ...(sampleIntervalSec === undefined ? {} : { sampleIntervalSec }),
    ...(uploadIntervalSec === undefined ? {} : { uploadIntervalSec }),
  });
}
