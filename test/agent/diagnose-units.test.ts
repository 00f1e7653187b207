/** Diagnose's pure parts: which paths it checks, how it judges dates and skew, how it prints. */
import { X509Certificate } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '#agent/config.ts';
import { skewOutcome } from '#agent/diagnose/check-clock.ts';
import { validityOutcome } from '#agent/diagnose/check-device-cert.ts';
import { diagnosePaths } from '#agent/diagnose/paths.ts';
import { renderReport } from '#agent/diagnose/render.ts';
import { type DiagnoseReport, DiagnoseReportSchema } from '#agent/diagnose/report.ts';
import type { PacProxyFinder } from '#agent/transport/pac/index.ts';
import { ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';

const DAY = 24 * 3600 * 1000;
const base = {
  deviceId: 'dev-1',
  region: 'eu-west-1',
  endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
  certPath: 'c.pem',
  keyPath: 'k.pem',
  dataDir: 'data',
};
const config = (extra: object = {}) => parseAgentConfig({ ...base, ...extra }, '/etc/fleetpulse');

describe('the paths diagnose checks', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("takes agent.json's proxies in order, then direct, decoding the password", async () => {
    const plan = await diagnosePaths(
      config({
        proxies: [
          { url: 'http://a.corp:3128/', user: 'svc', passwordB64: Buffer.from('pw').toString('base64') },
          { url: 'http://b.corp:8080' },
        ],
      }),
    );

    expect(plan.paths).toEqual([
      {
        name: 'proxy http://a.corp:3128',
        source: 'config',
        proxy: { url: 'http://a.corp:3128', credentials: { user: 'svc', password: 'pw' } },
      },
      { name: 'proxy http://b.corp:8080', source: 'config', proxy: { url: 'http://b.corp:8080' } },
      { name: 'direct', source: 'direct' },
    ]);
  });

  it('uses HTTPS_PROXY when no list is set, its URL credentials as Basic auth', async () => {
    process.env.HTTPS_PROXY = 'http://svc:p%40ss@proxy.corp:3128';

    expect((await diagnosePaths(config())).paths).toEqual([
      {
        name: 'proxy http://proxy.corp:3128',
        source: 'env',
        proxy: { url: 'http://proxy.corp:3128', credentials: { user: 'svc', password: 'p@ss' } },
      },
      { name: 'direct', source: 'direct' },
    ]);
  });

  it('goes direct when NO_PROXY exempts the endpoint', async () => {
    process.env.HTTPS_PROXY = 'http://proxy.corp:3128';
    process.env.NO_PROXY = '.amazonaws.com';

    expect((await diagnosePaths(config())).paths.map((p) => p.name)).toEqual(['direct']);
  });

  it("checks the running policy's proxies before agent.json's, like the agent", async () => {
    const plan = await diagnosePaths(config({ proxies: [{ url: 'http://a.corp:3128' }] }), {
      proxies: [{ url: 'http://policy.corp:8080' }],
    });

    expect(plan.paths.map((p) => [p.name, p.source])).toEqual([
      ['proxy http://policy.corp:8080', 'policy'],
      ['direct', 'direct'],
    ]);
  });

  it("checks the PAC file's proxies, and reports a PAC that fails as a failed row", async () => {
    const pac = (answer: () => Promise<{ proxies: string[]; skipped: [] }>) =>
      ({ find: answer }) as unknown as PacProxyFinder;

    const working = await diagnosePaths(config({ pacUrl: 'http://wpad.corp/proxy.pac' }), undefined, {
      pac: pac(async () => ({ proxies: ['http://pac-proxy.corp:3128'], skipped: [] })),
    });
    const failing = await diagnosePaths(config({ pacUrl: 'http://wpad.corp/proxy.pac' }), undefined, {
      pac: pac(async () => {
        throw new Error('PAC http://wpad.corp/proxy.pac answered 404');
      }),
    });

    expect(working.paths.map((p) => [p.name, p.source])).toEqual([
      ['proxy http://pac-proxy.corp:3128', 'pac'],
      ['direct', 'direct'],
    ]);
    expect(failing.paths.map((p) => p.name)).toEqual(['direct']);
    expect(failing.rows).toEqual([
      expect.objectContaining({
        path: 'pac http://wpad.corp/proxy.pac',
        check: 'pac',
        result: 'fail',
        detail: expect.stringContaining('404'),
      }),
    ]);
  });
});

describe('device certificate dates', () => {
  let cert: X509Certificate;
  beforeAll(async () => {
    const ca = await ensureDevCa(join(await mkdtemp(join(tmpdir(), 'fp-diag-unit-')), 'ca'));
    cert = new X509Certificate((await issueDeviceCert(ca, 'dev-1')).certPem);
  });
  const from = () => Date.parse(cert.validFrom);
  const to = () => Date.parse(cert.validTo);
  const who = { deviceId: 'dev-1', region: 'eu-west-1' };

  it.each([
    ['not valid yet', () => from() - DAY, 'fail', /^CN=dev-1 not valid yet/],
    ['expired', () => to() + DAY, 'fail', /^CN=dev-1 expired/],
    ['expiring within 30 days', () => to() - 10 * DAY, 'warn', /^CN=dev-1 expires in (9|10) days/],
    ['valid', () => from() + DAY, 'ok', /^CN=dev-1, valid .* days left\)$/],
  ] as const)('%s', (_name, now, result, detail) => {
    const outcome = validityOutcome(cert, who, now());

    expect(outcome.result).toBe(result);
    expect(outcome.detail).toMatch(detail);
  });

  it('fails a CN other than the device id on the local cloud, which requires them equal', () => {
    expect(validityOutcome(cert, { deviceId: 'dev-2', region: 'local' }, from() + DAY).result).toBe('fail');
    expect(validityOutcome(cert, { deviceId: 'dev-2', region: 'eu-west-1' }, from() + DAY).result).toBe('ok');
  });
});

describe('clock skew', () => {
  it.each([
    [30_000, 'ok'],
    [-90_000, 'warn'],
    [6 * 60_000, 'fail'],
    [-6 * 60_000, 'fail'],
  ] as const)('%i ms is %s', (skew, result) => {
    expect(skewOutcome(skew, 'https://iot/', 'direct').result).toBe(result);
  });

  it('says which way the local clock is off', () => {
    expect(skewOutcome(90_000, 'https://iot/', 'direct').detail).toMatch(
      /^local clock is 90 s behind the server/,
    );
    expect(skewOutcome(-90_000, 'https://iot/', 'direct').detail).toMatch(
      /^local clock is 90 s ahead of the server/,
    );
  });
});

describe('the table', () => {
  const report: DiagnoseReport = DiagnoseReportSchema.parse({
    deviceId: 'dev-1',
    endpoint: { host: 'iot.example', port: 8883, alpn: null, httpsPort: 443 },
    startedAt: '2026-11-30T03:00:00.000Z',
    durationMs: 1234,
    paths: [{ path: 'direct', source: 'direct', mqttConnect: false }],
    rows: [
      {
        path: 'direct',
        check: 'tcp',
        result: 'fail',
        detail: 'nothing listens',
        remedy: 'open TCP 8883',
        durationMs: 3,
      },
      {
        path: 'direct',
        check: 'tls',
        result: 'skip',
        detail: 'not run: TCP failed',
        remedy: null,
        durationMs: 0,
      },
    ],
    usablePath: null,
    clockSkewMs: null,
    notes: ['a note'],
    summary: 'no path can connect',
  });

  it('prints one line per check, the remedy under a failed one, the notes and the result', () => {
    expect(renderReport(report)).toBe(
      [
        'fleetpulse-agent diagnose: device dev-1, endpoint iot.example:8883, 1 path(s), 1.2 s',
        '',
        'PATH    CHECK  RESULT  DETAIL',
        'direct  tcp    fail    nothing listens',
        '                       remedy: open TCP 8883',
        'direct  tls    skip    not run: TCP failed',
        '',
        'Note: a note',
        'Result: no path can connect',
        '',
      ].join('\n'),
    );
  });
});
