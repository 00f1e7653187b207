/**
 * A whole diagnose run: the device's certificate, every path (concurrently, so that slow and dead
 * paths share the time budget; MQTT CONNECTs take turns), then the clock through the first path
 * that works. Never throws for anything the network does: every finding is a row.
 */
import type { AgentConfig } from '../config.ts';
import { Semaphore } from '../semaphore.ts';
import { ALPN_PORT, AWS_IOT_ALPN } from '../transport/tls-alpn-443.ts';
import type { Endpoint } from '../transport/transport.ts';
import { Budget } from './budget.ts';
import { checkClock } from './check-clock.ts';
import { checkDeviceIdentity } from './check-device-cert.ts';
import { type DiagnoseTimeouts, diagnoseDefaults } from './defaults.ts';
import { type Outcome, skip } from './outcome.ts';
import { type DiagnosePath, diagnosePaths, type PathPlan, storedPolicy } from './paths.ts';
import type { DiagnoseReport, DiagnoseRow } from './report.ts';
import { runPath } from './run-path.ts';

export interface DiagnoseOptions {
  /** The paths to check, in order; default: the agent's own list from its policy, agent.json, PAC or environment (paths.ts). */
  readonly plan?: PathPlan;
  readonly timeouts?: Partial<DiagnoseTimeouts>;
  /** @default diagnoseDefaults.totalMs */
  readonly totalMs?: number;
}

export const TAKEOVER_NOTE =
  "MQTT CONNECT uses the device's own client id: a running agent on this device is disconnected briefly " +
  '(the broker hands the client id over) and reconnects by itself; messages queued for it are not acknowledged here and stay queued for it.';

export async function runDiagnose(
  config: AgentConfig,
  options: DiagnoseOptions = {},
): Promise<DiagnoseReport> {
  const startedAt = Date.now();
  const timeouts: DiagnoseTimeouts = { ...diagnoseDefaults.timeouts, ...options.timeouts };
  const budget = new Budget(options.totalMs ?? diagnoseDefaults.totalMs);
  const endpoint: Endpoint = { host: config.endpoint, port: config.port };
  const alpn = (config.alpn ?? config.port === ALPN_PORT) ? AWS_IOT_ALPN : undefined;
  const plan = options.plan ?? (await diagnosePaths(config, await storedPolicy(config)));

  const device = await checkDeviceIdentity(config, startedAt);
  const deviceRows = device.rows.map(({ check, outcome }) => row('device', check, outcome, 0));

  const mqttTurn = new Semaphore(1);
  const runs = await Promise.all(
    plan.paths.map((path) =>
      runPath(path, {
        endpoint,
        ...(alpn === undefined ? {} : { alpn }),
        ...(device.identity === undefined ? {} : { identity: device.identity }),
        clientId: config.deviceId,
        timeouts,
        budget,
        reserveMs: timeouts.clockMs,
        mqttTurn,
      }),
    ),
  );
  const usableIndex = runs.findIndex((r) => r.mqttOk);
  const usable = usableIndex === -1 ? undefined : plan.paths[usableIndex];
  // The clock is read through the path the agent would use, else any path whose TLS works.
  const clockPathIndex = usableIndex === -1 ? runs.findIndex((r) => r.tlsOk) : usableIndex;
  const clockPath = plan.paths[clockPathIndex];
  const clock = await clockRow(config, clockPath, device.identity, timeouts, budget);

  const summary =
    usable === undefined
      ? `no path can connect to ${endpoint.host}:${endpoint.port}: fix a failed check above`
      : `the agent would connect by ${usable.name}${
          usableIndex > 0
            ? ` (after ${plan.paths
                .slice(0, usableIndex)
                .map((p) => p.name)
                .join(', ')} failed)`
            : ''
        }`;
  return {
    deviceId: config.deviceId,
    endpoint: { host: endpoint.host, port: endpoint.port, alpn: alpn ?? null, httpsPort: config.httpsPort },
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    paths: plan.paths.map((p, i) => ({
      path: p.name,
      source: p.source,
      mqttConnect: runs[i]?.mqttOk ?? false,
    })),
    rows: [...deviceRows, ...plan.rows, ...runs.flatMap((r) => r.rows), clock.row],
    usablePath: usable?.name ?? null,
    clockSkewMs: clock.skewMs,
    notes: [TAKEOVER_NOTE],
    summary,
  };
}

function row(path: string, check: DiagnoseRow['check'], outcome: Outcome, durationMs: number): DiagnoseRow {
  return { path, check, ...outcome, durationMs };
}

async function clockRow(
  config: AgentConfig,
  path: DiagnosePath | undefined,
  identity: Parameters<typeof checkClock>[0]['identity'] | undefined,
  timeouts: DiagnoseTimeouts,
  budget: Budget,
): Promise<{ row: DiagnoseRow; skewMs: number | null }> {
  const started = Date.now();
  const timeoutMs = budget.timeoutFor(timeouts.clockMs);
  if (path === undefined || identity === undefined || timeoutMs === 0) {
    const why =
      path === undefined || identity === undefined
        ? 'unknown: no path reaches the endpoint over TLS'
        : 'not run: the time budget of the whole run is spent';
    return { row: row('device', 'clock', skip(why), 0), skewMs: null };
  }
  const { outcome, skewMs } = await checkClock({
    host: config.endpoint,
    httpsPort: config.httpsPort,
    identity,
    path: path.name,
    ...(path.proxy === undefined ? {} : { proxy: path.proxy }),
    timeoutMs,
  });
  return { row: row(path.name, 'clock', outcome, Date.now() - started), skewMs };
}
