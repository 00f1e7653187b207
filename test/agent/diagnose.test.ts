/**
 * `diagnose` against real servers on 127.0.0.1: the mutual-TLS broker, the npm `proxy` package
 * (with and without auth), a dead proxy, servers that accept TCP and never answer, a proxy that
 * re-signs TLS with a foreign CA, and an HTTPS server whose Date header sets the clock.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import { type AgentConfig, type AgentConfigInput, parseAgentConfig } from '#agent/config.ts';
import { renderReport } from '#agent/diagnose/render.ts';
import { DiagnoseReportSchema, type DiagnoseRow, exitCodeOf } from '#agent/diagnose/report.ts';
import { runDiagnose } from '#agent/diagnose/runner.ts';
import { silentLogger } from '#agent/logger.ts';
import { interceptionMessage } from '#agent/transport/errors.ts';
import { type DevCa, ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import {
  diagnoseConfigInput,
  FOREIGN_CA_NAME,
  foreignCa,
  type RunningServer,
  startBlackHoleProxy,
  startBlockingProxy,
  startHttpProxy,
  startHttpsDateServer,
  startInterceptingProxy,
  startSilentServer,
  startWebServer,
} from '../support/diagnose-fixtures.ts';
import { unusedPort } from '../support/ports.ts';
import { type AgentFixture, startAgentFixture } from './tls-broker.ts';

const DEVICE = 'diag-dev-1';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** Short per-check timeouts: the hanging servers make tests wait for them. */
const FAST = {
  timeouts: { tcpMs: 2_000, proxyConnectMs: 1_500, tlsMs: 1_500, mqttMs: 3_000, clockMs: 3_000 },
};

let fx: AgentFixture;
let ca: DevCa;
let clock: RunningServer;
let proxy: RunningServer;
let authProxy: RunningServer;
let silent: RunningServer;
let intercepting: RunningServer;
let blocking: RunningServer;
let web: RunningServer;
let blackHole: RunningServer;
let deadProxyUrl: string;

beforeAll(async () => {
  fx = await startAgentFixture(DEVICE, 'fp-diagnose-');
  ca = await ensureDevCa(join(fx.dir, 'ca'));
  [clock, proxy, authProxy, silent, intercepting, blocking, web, blackHole] = await Promise.all([
    startHttpsDateServer(ca),
    startHttpProxy(),
    startHttpProxy({ user: 'svc', password: 'pä55' }),
    startSilentServer(),
    foreignCa().then(startInterceptingProxy),
    startBlockingProxy(),
    startWebServer(),
    startBlackHoleProxy(),
  ]);
  deadProxyUrl = `http://127.0.0.1:${await unusedPort()}`;
});

afterAll(async () => {
  await Promise.all(
    [clock, proxy, authProxy, silent, intercepting, blocking, web, blackHole].map((s) => s.close()),
  );
  await fx.broker.close();
});

function configWith(overrides: Partial<AgentConfigInput>): AgentConfig {
  return parseAgentConfig(diagnoseConfigInput(DEVICE, fx.broker.port, clock.port, overrides), fx.dir);
}

const rowsOf = (rows: readonly DiagnoseRow[], path: string) =>
  Object.fromEntries(rows.filter((r) => r.path === path && r.check !== 'dns').map((r) => [r.check, r]));

describe('diagnose: a working direct path', () => {
  it('connects with the device identity, reads the clock, and names direct as the path to use', async () => {
    const report = await runDiagnose(configWith({}), FAST);

    expect(DiagnoseReportSchema.parse(report)).toEqual(report);
    const direct = rowsOf(report.rows, 'direct');
    expect(Object.values(direct).map((r) => [r.check, r.result])).toEqual([
      ['tcp', 'ok'],
      ['tls', 'ok'],
      ['mqtt-connect', 'ok'],
      ['clock', 'ok'],
    ]);
    expect(direct.tls?.detail).toMatch(
      /^TLSv1\.[23], server certificate localhost issued by "fleetpulse local dev CA"$/,
    );
    expect(report.rows.find((r) => r.check === 'cert-validity')).toMatchObject({
      result: 'ok',
      detail: expect.stringMatching(new RegExp(`^CN=${DEVICE}, valid `)),
    });
    expect(Math.abs(report.clockSkewMs ?? Number.NaN)).toBeLessThan(2_000);
    expect(report.usablePath).toBe('direct');
    expect(exitCodeOf(report)).toBe(0);
    expect(renderReport(report)).toContain('Result: the agent would connect by direct');
  });

  it('acknowledges nothing: a QoS 1 command queued for the agent is still delivered to it afterwards', async () => {
    const identity = {
      cert: await readFile(join(fx.dir, 'cert.pem')),
      key: await readFile(join(fx.dir, 'key.pem')),
      ca: ca.certPem,
    };
    const agentLike = () =>
      mqtt.connectAsync(`mqtts://127.0.0.1:${fx.broker.port}`, {
        clientId: DEVICE,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 0,
        ...identity,
      });
    const first = await agentLike();
    await first.subscribeAsync(`cmd/fleet/${DEVICE}`, { qos: 1 });
    await first.endAsync();
    await fx.broker.publish(`cmd/fleet/${DEVICE}`, Buffer.from('reboot'));

    const report = await runDiagnose(configWith({}), FAST);

    expect(rowsOf(report.rows, 'direct')['mqtt-connect']?.detail).toContain('session present: yes');
    const again = await agentLike();
    const delivered = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the queued command was not redelivered')), 5_000);
      again.on('message', (_topic, payload) => {
        clearTimeout(timer);
        resolve(payload.toString());
      });
    });
    await again.endAsync();
    expect(delivered).toBe('reboot');
  });
});

describe('diagnose next to a running agent', () => {
  it('takes over the client id for a moment; the agent reconnects by itself', async () => {
    const agent = new Agent({
      config: configWith({ logLevel: 'silent' }),
      logger: silentLogger,
      host: simulatedHost(DEVICE, 3),
      tuning: { connection: { backoff: { baseMs: 50, maxMs: 200, jitter: 0.5 } } },
    });
    const connected = () => new Promise<void>((resolve) => agent.once('connected', () => resolve()));
    try {
      const first = connected();
      await agent.start();
      await first;
      const disconnected = new Promise<void>((resolve) => agent.once('disconnected', () => resolve()));
      const again = disconnected.then(connected);

      const report = await runDiagnose(configWith({}), FAST);

      expect(report.usablePath).toBe('direct');
      await disconnected;
      await again;
    } finally {
      await agent.stop();
    }
  });
});

describe('diagnose: proxies', () => {
  it('goes through a proxy with Basic auth and names it as the path to use', async () => {
    const report = await runDiagnose(
      configWith({ proxies: [{ url: authProxy.url, user: 'svc', passwordB64: b64('pä55') }] }),
      FAST,
    );

    const path = `proxy ${authProxy.url}`;
    const rows = rowsOf(report.rows, path);
    expect(rows['proxy-connect']).toMatchObject({
      result: 'ok',
      detail: expect.stringContaining(' as svc: 200'),
    });
    expect(rows['mqtt-connect']?.result).toBe('ok');
    expect(report.usablePath).toBe(path);
    expect(report.paths.map((p) => [p.path, p.source])).toEqual([
      [path, 'config'],
      ['direct', 'direct'],
    ]);
  });

  it('names a 407 with the remedy to check the credentials, and falls back to direct', async () => {
    const report = await runDiagnose(
      configWith({
        proxies: [{ url: authProxy.url, user: 'svc', passwordB64: b64('wrong') }, { url: proxy.url }],
      }),
      FAST,
    );

    const rows = rowsOf(report.rows, `proxy ${authProxy.url}`);
    expect(rows['proxy-connect']).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('with 407'),
      remedy: `check user/passwordB64 of ${authProxy.url} in agent.json or the policy`,
    });
    expect(rows.tls).toMatchObject({ result: 'skip', detail: 'not run: proxy CONNECT failed' });
    expect(report.usablePath).toBe(`proxy ${proxy.url}`);
    expect(report.summary).toBe(
      `the agent would connect by proxy ${proxy.url} (after proxy ${authProxy.url} failed)`,
    );
  });

  it('names a dead proxy (connection refused) and still finds direct', async () => {
    const report = await runDiagnose(configWith({ proxies: [{ url: deadProxyUrl }] }), FAST);

    const rows = rowsOf(report.rows, `proxy ${deadProxyUrl}`);
    expect(rows.tcp).toMatchObject({
      result: 'fail',
      detail: `nothing listens on ${deadProxyUrl.slice('http://'.length)} (connection refused)`,
    });
    expect(rows.tcp?.remedy).toContain('start the proxy');
    expect(report.usablePath).toBe('direct');
  });

  it('names a proxy that answers CONNECT and then relays nothing', async () => {
    const report = await runDiagnose(configWith({ proxies: [{ url: blackHole.url }] }), FAST);

    const rows = rowsOf(report.rows, `proxy ${blackHole.url}`);
    expect(rows['proxy-connect']?.result).toBe('ok');
    expect(rows.tls).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('answered CONNECT but relayed nothing'),
      remedy: `allow 127.0.0.1:${fx.broker.port} through the proxy (it accepts CONNECT but relays nothing)`,
    });
  });

  it('names a proxy that takes the connection and never answers CONNECT', async () => {
    const report = await runDiagnose(configWith({ proxies: [{ url: silent.url }] }), FAST);

    expect(rowsOf(report.rows, `proxy ${silent.url}`)['proxy-connect']).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('did not answer CONNECT'),
    });
  });

  it.each([
    [
      'blocks the destination (403)',
      () => blocking.url,
      'with 403',
      () => `allow 127.0.0.1:${fx.broker.port} in the proxy`,
    ],
    [
      'is a web server, not a proxy',
      () => web.url,
      'not an HTTP CONNECT proxy',
      () => `${web.url} is not an HTTP CONNECT proxy: correct the proxy URL`,
    ],
  ])('names a proxy that %s, with its remedy', async (_name, url, detail, remedy) => {
    const report = await runDiagnose(configWith({ proxies: [{ url: url() }] }), FAST);

    expect(rowsOf(report.rows, `proxy ${url()}`)['proxy-connect']).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining(detail),
      remedy: remedy(),
    });
  });

  it('reports TLS interception in the exact words the agent uses, and does not connect through it', async () => {
    const report = await runDiagnose(configWith({ proxies: [{ url: intercepting.url }] }), FAST);

    const path = `proxy ${intercepting.url}`;
    const rows = rowsOf(report.rows, path);
    const message = interceptionMessage(path, { host: '127.0.0.1', port: fx.broker.port }, FOREIGN_CA_NAME);
    expect(rows.tls).toMatchObject({ result: 'fail', detail: message });
    expect(rows['mqtt-connect']?.result).toBe('skip');
    expect(renderReport(report)).toContain(message);
    expect(report.usablePath).toBe('direct');
  });
});

describe('diagnose: ALPN', () => {
  it('fails TLS when the port asks for ALPN x-amzn-mqtt-ca and the server does not select it', async () => {
    const report = await runDiagnose(configWith({ alpn: true }), FAST);

    expect(report.endpoint.alpn).toBe('x-amzn-mqtt-ca');
    expect(rowsOf(report.rows, 'direct').tls).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('did not accept ALPN x-amzn-mqtt-ca (selected none)'),
      remedy: expect.stringContaining('use port 8883'),
    });
  });
});

describe('diagnose: nothing hangs', () => {
  it('fails TLS to a server that accepts TCP and never answers, within the TLS timeout; exit 1', async () => {
    const report = await runDiagnose(configWith({ port: silent.port }), FAST);

    const direct = rowsOf(report.rows, 'direct');
    expect(direct.tcp?.result).toBe('ok');
    expect(direct.tls).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('did not complete within 1500 ms'),
    });
    expect(direct.tls?.durationMs).toBeLessThan(3_000);
    expect(report.rows.find((r) => r.check === 'clock')).toMatchObject({ result: 'skip' });
    expect(report.clockSkewMs).toBeNull();
    expect(exitCodeOf(report)).toBe(1);
  });

  it('stops starting checks when the run budget is spent, whatever the per-check timeouts', async () => {
    const report = await runDiagnose(configWith({ port: silent.port, proxies: [{ url: silent.url }] }), {
      timeouts: { tlsMs: 20_000, proxyConnectMs: 20_000, clockMs: 500 },
      totalMs: 2_000,
    });

    expect(report.durationMs).toBeLessThan(4_000);
    expect(report.rows.filter((r) => r.result === 'fail').map((r) => r.check)).toEqual(
      expect.arrayContaining(['proxy-connect', 'tls']),
    );
  });
});

describe('diagnose: clock and certificate', () => {
  it('fails a clock more than 5 minutes off, and warns past a minute', async () => {
    const far = await startHttpsDateServer(ca, 10 * 60_000);
    const near = await startHttpsDateServer(ca, -2 * 60_000);
    try {
      const [farReport, nearReport] = [
        await runDiagnose(configWith({ httpsPort: far.port }), FAST),
        await runDiagnose(configWith({ httpsPort: near.port }), FAST),
      ];

      // The Date header has whole seconds.
      expect(Math.abs((farReport.clockSkewMs ?? 0) - 600_000)).toBeLessThan(2_000);
      expect(farReport.rows.find((r) => r.check === 'clock')).toMatchObject({
        result: 'fail',
        detail: expect.stringMatching(/^local clock is (599|600|601) s behind the server/),
      });
      expect(Math.abs((nearReport.clockSkewMs ?? 0) + 120_000)).toBeLessThan(2_000);
      expect(nearReport.rows.find((r) => r.check === 'clock')).toMatchObject({
        result: 'warn',
        detail: expect.stringMatching(/^local clock is (119|120|121) s ahead of the server/),
      });
      // The paths themselves still work: skew is reported, not a reason to refuse them.
      expect(farReport.usablePath).toBe('direct');
    } finally {
      await Promise.all([far.close(), near.close()]);
    }
  });

  it('names a key that does not belong to the certificate and skips TLS and MQTT', async () => {
    const other = await issueDeviceCert(ca, 'someone-else');
    await writeFile(join(fx.dir, 'other-key.pem'), other.keyPem);

    const report = await runDiagnose(configWith({ keyPath: 'other-key.pem' }), FAST);

    expect(report.rows.find((r) => r.check === 'cert-key')).toMatchObject({
      result: 'fail',
      detail: `${join(fx.dir, 'other-key.pem')} does not belong to the certificate`,
    });
    expect(rowsOf(report.rows, 'direct').tls?.result).toBe('skip');
    expect(exitCodeOf(report)).toBe(1);
  });
});
