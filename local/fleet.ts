/**
 * Starts the simulated fleet of `npm start` in a child process (local/fleet-process.ts) and stops
 * it before the cloud: agents disconnect cleanly, then the broker goes. The child exits by itself
 * if this process dies.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetSettings, FromFleet, ToFleet } from './fleet-protocol.ts';

export type { FleetSettings } from './fleet-protocol.ts';

/** Aggregate inventory passes per second the local cloud is asked to absorb, whatever the fleet size. */
export const MAX_FLEET_REPORTS_PER_SEC = 10;

/** Simulated agents collect inventory faster than real ones (policy default: 15 min) so changes show up. */
export const MIN_INVENTORY_INTERVAL_MS = 30_000;

/** Every 30 s for a small fleet; slower for a large one, so 2,000 devices send ~10 reports/s, not 67. */
export function fleetInventoryIntervalMs(count: number): number {
  return Math.max(MIN_INVENTORY_INTERVAL_MS, Math.ceil((count * 1000) / MAX_FLEET_REPORTS_PER_SEC));
}

/** Aggregate heartbeats per second a large simulated fleet is held to (1,000 devices at the default 60 s). */
export const MAX_FLEET_HEARTBEATS_PER_SEC = 17;

/**
 * 60 s (the policy default) for fleets up to ~1,000 devices; slower beyond, up to 120 s, which
 * stays well inside the cloud's 180 s offline grace. 2,000 devices: every 118 s.
 */
export function fleetHeartbeatIntervalSec(count: number): number {
  return Math.min(120, Math.max(60, Math.ceil(count / MAX_FLEET_HEARTBEATS_PER_SEC)));
}

/**
 * Aggregate analyzer batches per second a large simulated fleet is held to. At 60 s batches 2,000
 * devices (4,250 sessions) send ~71/s; on the shared 2-core machine the local analyzer path took in
 * 38/s (bench:fleet), and its cost is per batch (index write and summary fold in DynamoDB).
 */
export const MAX_FLEET_ANALYZER_BATCHES_PER_SEC = 20;

/** Desktops have one session, one Windows machine in ten is a terminal server with 5–30: 2.1 measured. */
const SIMULATED_SESSIONS_PER_DEVICE = 2.2;

/**
 * The one place `npm start`'s simulated analyzers get their intervals: a sample every 5 s and a
 * batch per session every minute for fleets up to ~540 devices, so a newcomer sees sessions within
 * a minute; slower beyond, up to the policy's 300 s (2,000 devices: every 220 s). Real agents keep
 * the policy's (15 s / 300 s).
 */
export function simulatedAnalyzerIntervals(count: number): {
  sampleIntervalSec: number;
  uploadIntervalSec: number;
} {
  const sessions = count * SIMULATED_SESSIONS_PER_DEVICE;
  return {
    sampleIntervalSec: 5,
    uploadIntervalSec: Math.min(300, Math.max(60, Math.ceil(sessions / MAX_FLEET_ANALYZER_BATCHES_PER_SEC))),
  };
}

export interface FleetProcess {
  readonly deviceIds: string[];
  /** Agents connected when startup finished (the others keep retrying). */
  readonly online: number;
  readonly pid: number;
  /** Whether the simulated agents run the analyzer. */
  readonly analyzer: boolean;
  /** Devices held powered off at startup (`--powered-off`), which a wake-relay brings online. */
  readonly poweredOff: string[];
  stop(): Promise<void>;
}

/** Bound on the agents' clean stop (each flushes its outbox for at most 5 s, all at once). */
const STOP_TIMEOUT_MS = 15_000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startFleetProcess(settings: FleetSettings): Promise<FleetProcess> {
  const entry = fileURLToPath(new URL('./fleet-process.ts', import.meta.url));
  // The child brings tsx itself: it must not depend on how this process was started.
  const child = fork(entry, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: 'inherit' });
  const send = (message: ToFleet): void => {
    if (child.connected) child.send(message);
  };
  const started = new Promise<{ deviceIds: string[]; online: number }>((resolve, reject) => {
    child.on('message', (message: FromFleet) => {
      if (message.kind === 'started') resolve(message);
      if (message.kind === 'failed') reject(new Error(`simulated fleet: ${message.message}`));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`simulated fleet process exited (${signal ?? `code ${code}`}) before it started`)),
    );
  });
  send({ kind: 'start', settings });
  let result: { deviceIds: string[]; online: number };
  try {
    result = await started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    ...result,
    pid: child.pid ?? 0,
    analyzer: settings.analyzer !== undefined,
    poweredOff: result.deviceIds.slice(result.deviceIds.length - (settings.poweredOff ?? 0)),
    async stop() {
      send({ kind: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
