/**
 * Clock skew: the server's clock, from the Date header of an HTTPS request to the endpoint's HTTPS
 * port (AWS IoT answers HTTPS on 443 without ALPN, even a 403), through a path that works, against
 * this machine's clock. TLS validity checks and IoT's authentication break when they disagree.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tlsHandshake } from '../transport/handshake.ts';
import type { Endpoint, ProxySettings, TlsIdentity } from '../transport/transport.ts';
import { openTunnel } from '../transport/tunnel.ts';
import { bounded } from './budget.ts';
import { diagnoseDefaults } from './defaults.ts';
import { errorMessage, fail, type Outcome, ok, warn } from './outcome.ts';

export interface ClockCheckOptions {
  readonly host: string;
  readonly httpsPort: number;
  readonly identity: TlsIdentity;
  readonly path: string;
  readonly proxy?: Omit<ProxySettings, 'connectTimeoutMs'>;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export interface ClockCheck {
  readonly outcome: Outcome;
  /** Server minus local, ms; null when unknown. */
  readonly skewMs: number | null;
}

export async function checkClock(options: ClockCheckOptions): Promise<ClockCheck> {
  const now = options.now ?? Date.now;
  const target: Endpoint = { host: options.host, port: options.httpsPort };
  const where = `https://${options.host}:${options.httpsPort}/`;
  const sockets: Socket[] = [];
  const started = now();
  try {
    const serverDate = await bounded(readDateHeader(options, target, sockets), options.timeoutMs, () => {
      for (const s of sockets) s.destroy();
    });
    if (serverDate === undefined) {
      return {
        outcome: warn(
          `${where} answered without a Date header: skew unknown`,
          "compare this machine's clock with NTP",
        ),
        skewMs: null,
      };
    }
    // The Date header has 1 s resolution: compare with the middle of the exchange.
    const skewMs = Math.round(serverDate - (started + now()) / 2);
    return { outcome: skewOutcome(skewMs, where, options.path), skewMs };
  } catch (err) {
    return {
      outcome: warn(
        `cannot read the server clock from ${where} on ${options.path}: ${errorMessage(err)}`,
        `open TCP ${options.httpsPort} to ${options.host} to measure skew, or compare this machine's clock with NTP`,
      ),
      skewMs: null,
    };
  } finally {
    for (const s of sockets) s.destroy();
  }
}

export function skewOutcome(skewMs: number, where: string, path: string): Outcome {
  const seconds = Math.round(skewMs / 1000);
  const text =
    Math.abs(seconds) <= 1
      ? `local clock agrees with the server within the Date header's 1 s (${where} on ${path})`
      : `local clock is ${Math.abs(seconds)} s ${skewMs > 0 ? 'behind' : 'ahead of'} the server (${where} on ${path})`;
  if (Math.abs(skewMs) > diagnoseDefaults.skewFailMs) {
    return fail(text, 'set the clock right (enable NTP): TLS and AWS IoT authentication fail with this skew');
  }
  if (Math.abs(skewMs) > diagnoseDefaults.skewWarnMs) {
    return warn(text, 'enable NTP on this machine before the skew grows');
  }
  return ok(text);
}

async function readDateHeader(
  options: ClockCheckOptions,
  target: Endpoint,
  sockets: Socket[],
): Promise<number | undefined> {
  const tunnel =
    options.proxy === undefined
      ? undefined
      : await openTunnel({ ...options.proxy, connectTimeoutMs: options.timeoutMs }, target);
  if (tunnel !== undefined) sockets.push(tunnel);
  const facts = await tlsHandshake({
    endpoint: target,
    identity: options.identity,
    path: options.path,
    ...(tunnel === undefined ? {} : { socket: tunnel }),
    timeoutMs: options.timeoutMs,
  });
  sockets.push(facts.socket);
  return httpDate(facts.socket, options.host);
}

function httpDate(socket: TLSSocket, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      path: '/',
      method: 'GET',
      headers: { Host: host, Connection: 'close' },
      createConnection: () => socket,
    });
    req.once('response', (res) => {
      res.resume();
      const date = res.headers.date === undefined ? Number.NaN : Date.parse(res.headers.date);
      resolve(Number.isNaN(date) ? undefined : date);
    });
    req.once('error', reject);
    req.end();
  });
}
