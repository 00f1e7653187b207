/**
 * A simulated fleet: N real Agent instances in one process, each with its own X.509 identity
 * and its own mutual-TLS MQTT connection. Only the machine is simulated (platform, host name,
 * sessions, and whatever the `modules` factory provides).
 *
 * Every simulated device is also a Wake-on-LAN bridge that sends nothing (simulator/wake.ts), and
 * a device can be "powered off" (its agent stopped, as a shut-down machine goes silent): a
 * `wake-relay` naming it powers it back on, a new agent on the same identity and data, like a boot.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from '#agent/agent.ts';
import { parseAgentConfig } from '#agent/config.ts';
import type { HostProbe } from '#agent/host.ts';
import { createLogger, errorMessage } from '#agent/logger.ts';
import type { AgentModule } from '#agent/module.ts';
import { Semaphore } from '#agent/semaphore.ts';
import type { UserSession } from '#protocol/heartbeat.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { simulatedHost } from './host-probe.ts';
import { interfacesFromInventory, simulatedWakeModule } from './wake.ts';

/** A device's X.509 identity, PEM-encoded. */
export interface DeviceIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Issues a certificate whose CN is the device id (the local cloud's dev CA, or AWS IoT). */
export type IdentityIssuer = (deviceId: string) => Promise<DeviceIdentity>;

export interface SimulatedFleetOptions {
  readonly count: number;
  /** mqtts://host:port of the broker. */
  readonly mqttUrl: string;
  /** Ask for ALPN x-amzn-mqtt-ca (the local cloud's 443-style listener). @default only on 443 */
  readonly alpn?: boolean;
  /** CA that signed the broker's certificate. */
  readonly caCertPath: string;
  /** Issues device certificates (once per device; they are reused on restart). */
  readonly issueIdentity: IdentityIssuer;
  /** Identities and data live under `<identityDir>/<deviceId>/`. */
  readonly identityDir: string;
  readonly heartbeatIntervalSec?: number;
  /** Same seed, same fleet (platforms, host names, sessions). @default 1 */
  readonly seed?: number;
  /**
   * Feature modules per device; `host` is the simulated machine, so they describe the same one. A
   * module with `userSessions()` (the simulated analyzer) is where the heartbeat's sessions come
   * from, so both list the same sessions.
   */
  readonly modules?: (deviceId: string, seed: number, host: HostProbe) => AgentModule[];
  /** @default 'silent' */
  readonly log?: 'silent' | 'info';
  /** Bound on waiting for each agent's first connection. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /**
   * The last N devices power off once started (their first report and heartbeat are out, so the
   * cloud knows their MAC and subnet), until a `wake-relay` names them. @default 0
   */
  readonly poweredOff?: number;
}

export interface SimulatedFleet {
  readonly deviceIds: string[];
  /** The running agent of each device, in deviceIds order (a woken device has a new one). */
  readonly agents: Agent[];
  /** Shuts a device down: its agent stops (flushing what it queued) and stays off until woken. */
  powerOff(deviceId: string): Promise<void>;
  /** Powers on those of `deviceIds` that are off (a wake-relay does this); returns them. */
  powerOn(deviceIds: readonly string[]): Promise<string[]>;
  /** The devices powered off now. */
  poweredOff(): string[];
  stop(): Promise<void>;
}

const knowsNetwork = (module: AgentModule): module is AgentModule & { network(): JsonObject | undefined } =>
  typeof (module as { network?: unknown }).network === 'function';

const knowsSessions = (
  module: AgentModule,
): module is AgentModule & { userSessions(): Promise<UserSession[]> } =>
  typeof (module as { userSessions?: unknown }).userSessions === 'function';

/** Agents starting at once; bounded so a large fleet does not open hundreds of TLS handshakes at once. */
const START_CONCURRENCY = 40;

export const simulatedDeviceId = (index: number): string => `sim-${String(index + 1).padStart(4, '0')}`;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Writes cert.pem / key.pem for a device the first time; later runs reuse them. */
export async function ensureDeviceIdentity(
  issueIdentity: IdentityIssuer,
  dir: string,
  deviceId: string,
): Promise<void> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if ((await exists(certPath)) && (await exists(keyPath))) return;
  await mkdir(dir, { recursive: true });
  const issued = await issueIdentity(deviceId);
  await writeFile(keyPath, issued.keyPem, { mode: 0o600 });
  await writeFile(certPath, issued.certPem);
}

export async function startSimulatedFleet(opts: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const url = new URL(opts.mqttUrl);
  const port = url.port === '' ? 8883 : Number(url.port);
  const seed = opts.seed ?? 1;
  const log = opts.log ?? 'silent';
  const caPem = await readFile(opts.caCertPath, 'utf8');
  const deviceIds = Array.from({ length: opts.count }, (_, i) => simulatedDeviceId(i));
  const agents: Agent[] = [];
  const fleetLog = createLogger(log, { component: 'simulator' });

  const starting = new Semaphore(START_CONCURRENCY);
  const startOne = async (deviceId: string, index: number): Promise<Agent> => {
    const dir = join(opts.identityDir, deviceId);
    await ensureDeviceIdentity(opts.issueIdentity, dir, deviceId);
    const deviceSeed = seed * 100_003 + index;
    const config = parseAgentConfig(
      {
        deviceId,
        region: 'local',
        endpoint: url.hostname,
        port,
        ...(opts.alpn === undefined ? {} : { alpn: opts.alpn }),
        certPath: 'cert.pem',
        keyPath: 'key.pem',
        dataDir: 'data',
        logLevel: log,
        ...(opts.heartbeatIntervalSec === undefined
          ? {}
          : { heartbeatIntervalSec: opts.heartbeatIntervalSec }),
      },
      dir,
    );
    const [cert, key] = await Promise.all([
      readFile(config.certPath, 'utf8'),
      readFile(config.keyPath, 'utf8'),
    ]);
    const machine = simulatedHost(deviceId, deviceSeed);
    const features = opts.modules?.(deviceId, deviceSeed, machine) ?? [];
    const inventory = features.find(knowsNetwork);
    const wake = simulatedWakeModule({
      interfaces: () => interfacesFromInventory(inventory?.network()),
      onWake: (ids) =>
        void powerOn(ids).catch((err) =>
          fleetLog.warn('simulated wake failed', { deviceIds: ids, error: errorMessage(err) }),
        ),
    });
    const modules = [...features, wake];
    const sessions = modules.find(knowsSessions);
    const host: HostProbe =
      sessions === undefined ? machine : { ...machine, sessions: () => sessions.userSessions() };
    const agent = new Agent({
      config,
      identity: { cert, key, ca: caPem },
      host,
      modules,
      logger: createLogger(log, { deviceId }),
    });
    await agent.start();
    await agent.waitConnected(opts.connectTimeoutMs ?? 10_000).catch((err) =>
      fleetLog.warn('simulated device not connected yet; it keeps retrying', {
        deviceId: agent.deviceId,
        error: errorMessage(err),
      }),
    );
    return agent;
  };
  // A slot is held until the agent is connected (or its wait timed out), so the next agent starts
  // as soon as any one is through, with no batch waiting for its slowest member.
  const off = new Set<string>();
  let stopped = false;
  // One power change at a time per device: a wake racing a power-off must not leave two agents.
  const powerChanges = new Map<string, Promise<void>>();
  const changePower = (deviceId: string, change: () => Promise<void>): Promise<void> => {
    const next = (powerChanges.get(deviceId) ?? Promise.resolve()).then(change, change);
    // The queue goes on after a failed change; the caller still sees the failure.
    powerChanges.set(
      deviceId,
      next.catch(() => undefined),
    );
    return next;
  };

  const powerOff = (deviceId: string): Promise<void> =>
    changePower(deviceId, async () => {
      const index = deviceIds.indexOf(deviceId);
      if (index < 0) throw new Error(`no simulated device ${deviceId}`);
      if (off.has(deviceId)) return;
      off.add(deviceId);
      await agents[index]?.stop();
      fleetLog.info('simulated device powered off', { deviceId });
    });

  async function powerOn(ids: readonly string[]): Promise<string[]> {
    const woken = ids.filter((id) => off.has(id));
    await Promise.all(
      woken.map((deviceId) =>
        changePower(deviceId, async () => {
          if (stopped || !off.has(deviceId)) return;
          off.delete(deviceId);
          const index = deviceIds.indexOf(deviceId);
          agents[index] = await startOne(deviceId, index);
          fleetLog.info('simulated device woken', { deviceId });
        }),
      ),
    );
    return woken;
  }

  const started = await Promise.all(deviceIds.map((id, index) => starting.run(() => startOne(id, index))));
  agents.splice(0, agents.length, ...started);
  const asleep = deviceIds.slice(deviceIds.length - Math.min(opts.poweredOff ?? 0, deviceIds.length));
  await Promise.all(asleep.map((id) => powerOff(id)));
  fleetLog.info('simulated fleet started', {
    count: agents.length,
    online: agents.filter((a) => a.isConnected()).length,
    poweredOff: asleep.length,
  });

  return {
    deviceIds,
    agents,
    powerOff,
    powerOn,
    poweredOff: () => deviceIds.filter((id) => off.has(id)),
    stop: async () => {
      stopped = true;
      await Promise.all(powerChanges.values());
      await Promise.all(agents.map((agent) => agent.stop()));
    },
  };
}
