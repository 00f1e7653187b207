/**
 * One path, checked in the order a connection goes through it: DNS, TCP (to the endpoint, or to
 * the proxy), proxy CONNECT, TLS, MQTT CONNECT. The first failure names the problem; the checks
 * after it are listed as skipped, so every path shows the same rows.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Semaphore } from '../semaphore.ts';
import type { Endpoint, TlsIdentity } from '../transport/transport.ts';
import type { Budget } from './budget.ts';
import { checkDns } from './check-dns.ts';
import { checkMqttConnect } from './check-mqtt.ts';
import { checkProxyConnect } from './check-proxy.ts';
import { checkTcp } from './check-tcp.ts';
import { checkTls } from './check-tls.ts';
import type { DiagnoseTimeouts } from './defaults.ts';
import { type Outcome, skip } from './outcome.ts';
import type { DiagnosePath } from './paths.ts';
import type { CheckName, DiagnoseRow } from './report.ts';

export interface PathRunContext {
  readonly endpoint: Endpoint;
  readonly alpn?: string;
  /** Absent: the device's certificate or key is unusable; TLS and MQTT are skipped. */
  readonly identity?: TlsIdentity;
  readonly clientId: string;
  readonly timeouts: DiagnoseTimeouts;
  readonly budget: Budget;
  /** Left in the budget for what runs after the paths (the clock check). */
  readonly reserveMs: number;
  /** One MQTT CONNECT at a time: two with the same client id would throw each other out. */
  readonly mqttTurn: Semaphore;
}

export interface PathRun {
  readonly rows: readonly DiagnoseRow[];
  readonly tlsOk: boolean;
  readonly mqttOk: boolean;
}

export async function runPath(path: DiagnosePath, ctx: PathRunContext): Promise<PathRun> {
  const rows: DiagnoseRow[] = [];
  const { endpoint, timeouts } = ctx;
  const record = (check: CheckName, outcome: Outcome, started: number) => {
    rows.push({ path: path.name, check, ...outcome, durationMs: Math.max(0, Date.now() - started) });
    return outcome.result !== 'fail' && outcome.result !== 'skip';
  };
  /** Runs a check within its own timeout and what is left of the budget. */
  const measure = async (checkMs: number, run: (timeoutMs: number) => Promise<Outcome>) => {
    const started = Date.now();
    const timeoutMs = ctx.budget.timeoutFor(checkMs, ctx.reserveMs);
    const outcome =
      timeoutMs === 0 ? skip('not run: the time budget of the whole run is spent') : await run(timeoutMs);
    return { outcome, started };
  };
  /** Runs and records a check; false when it failed or could not start. */
  const step = async (check: CheckName, checkMs: number, run: (timeoutMs: number) => Promise<Outcome>) => {
    const { outcome, started } = await measure(checkMs, run);
    return record(check, outcome, started);
  };
  const skipRest = (checks: readonly CheckName[], why: string) => {
    for (const check of checks) record(check, skip(why), Date.now());
  };
  const proxy = path.proxy;
  const later: CheckName[] =
    proxy === undefined ? ['tcp', 'tls', 'mqtt-connect'] : ['tcp', 'proxy-connect', 'tls', 'mqtt-connect'];

  // DNS
  let dnsOk: boolean;
  if (proxy === undefined) {
    dnsOk = await step('dns', timeouts.dnsMs, (t) => checkDns(endpoint.host, 'endpoint', t));
  } else {
    // Both at once (they are independent), recorded in a fixed order; only the proxy's must resolve here.
    const [ofProxy, ofEndpoint] = await Promise.all([
      measure(timeouts.dnsMs, (t) => checkDns(proxyEndpoint(proxy.url).host, 'proxy', t)),
      measure(timeouts.dnsMs, (t) => checkDns(endpoint.host, 'endpoint-via-proxy', t)),
    ]);
    dnsOk = record('dns', ofProxy.outcome, ofProxy.started);
    record('dns', ofEndpoint.outcome, ofEndpoint.started);
  }
  if (!dnsOk) return failed(rows, later, skipRest, 'DNS failed');

  // TCP
  const tcpTarget = proxy === undefined ? endpoint : proxyEndpoint(proxy.url);
  if (
    !(await step('tcp', timeouts.tcpMs, (t) =>
      checkTcp(tcpTarget, proxy === undefined ? 'endpoint' : 'proxy', t),
    ))
  ) {
    return failed(rows, later.slice(1), skipRest, 'TCP failed');
  }

  // Proxy CONNECT
  let tunnel: Socket | undefined;
  if (proxy !== undefined) {
    const connected = await step('proxy-connect', timeouts.proxyConnectMs, async (t) => {
      const result = await checkProxyConnect(proxy, endpoint, t);
      tunnel = result.socket;
      return result.outcome;
    });
    if (!connected) return failed(rows, ['tls', 'mqtt-connect'], skipRest, 'proxy CONNECT failed');
  }

  // TLS
  const identity = ctx.identity;
  if (identity === undefined) {
    tunnel?.destroy();
    return failed(
      rows,
      ['tls', 'mqtt-connect'],
      skipRest,
      'the device certificate or key is unusable (see device rows)',
    );
  }
  let secured: TLSSocket | undefined;
  const tlsOk = await step('tls', timeouts.tlsMs, async (t) => {
    const result = await checkTls({
      endpoint,
      identity,
      path: path.name,
      ...(tunnel === undefined ? {} : { socket: tunnel }),
      ...(ctx.alpn === undefined ? {} : { alpn: ctx.alpn }),
      timeoutMs: t,
    });
    secured = result.socket;
    return result.outcome;
  });
  if (!tlsOk || secured === undefined) {
    tunnel?.destroy();
    return failed(rows, ['mqtt-connect'], skipRest, 'TLS failed');
  }

  // MQTT CONNECT, one path at a time.
  const socket = secured;
  const mqttOk = await ctx.mqttTurn.run(() =>
    step('mqtt-connect', timeouts.mqttMs, (t) =>
      checkMqttConnect(socket, ctx.clientId, t, `${endpoint.host}:${endpoint.port}`),
    ),
  );
  // Skipped for lack of time: nothing was written on it. After MQTT, the check closed it itself.
  if (!socket.writableEnded) socket.destroy();
  return { rows, tlsOk: true, mqttOk };
}

function failed(
  rows: readonly DiagnoseRow[],
  rest: readonly CheckName[],
  skipRest: (checks: readonly CheckName[], why: string) => void,
  why: string,
): PathRun {
  skipRest(rest, `not run: ${why}`);
  return { rows, tlsOk: false, mqttOk: false };
}

function proxyEndpoint(url: string): Endpoint {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 80 : Number(parsed.port),
  };
}
