/**
 * Each way a proxy fails, with real proxy servers: the agent names the failure in its `failed`
 * event and then connects by the next path (direct, last). And the working proxies (npm `proxy`,
 * Debian's tinyproxy, with and without Basic auth) carry the connection.
 */
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import type { AgentConfig } from '#agent/config.ts';
import type { AgentLogger } from '#agent/module.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import {
  deadProxyUrl,
  startBrokenProxy,
  startNpmProxy,
  startTinyproxy,
  startWebServer,
  type TestProxy,
} from '../support/proxies.ts';
import { type FailedEvent, runProxyAgent } from './proxy-agent.ts';
import { startAgentFixture, type TestBroker } from './tls-broker.ts';

const DEVICE = 'it-proxy-failures';
const CREDENTIALS = { user: 'svc-agent', password: 'pä55:word' };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('proxy failures are named, then the agent goes direct', () => {
  let dir: string;
  let broker: TestBroker;
  let config: AgentConfig;
  const servers: TestProxy[] = [];
  const started = async (p: Promise<TestProxy>) => {
    const proxy = await p;
    servers.push(proxy);
    return proxy;
  };

  beforeAll(async () => {
    ({ dir, broker, config } = await startAgentFixture(DEVICE, 'fleetpulse-proxy-failures-'));
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  type Case = [
    name: string,
    proxy: () => Promise<{ url: string; user?: string; passwordB64?: string }>,
    kind: string,
    reason: RegExp,
  ];
  const cases: Case[] = [
    [
      'refused (nothing listens)',
      async () => ({ url: await deadProxyUrl() }),
      'refused',
      /connection refused/,
    ],
    [
      'hangs after CONNECT (never answers)',
      async () => ({ url: (await started(startBrokenProxy('silent'))).url }),
      'hang',
      /did not answer CONNECT .* \(it hangs after CONNECT\)/,
    ],
    [
      'answers 200 then relays nothing',
      async () => ({ url: (await started(startBrokenProxy('relays-nothing'))).url }),
      'TUNNEL_HANG',
      /answered CONNECT but relayed nothing/,
    ],
    [
      '407 from the npm proxy (wrong password)',
      async () => ({
        url: (await started(startNpmProxy({ auth: CREDENTIALS }))).url,
        user: CREDENTIALS.user,
        passwordB64: b64('wrong'),
      }),
      'auth',
      /with 407.*credentials/,
    ],
    [
      '407 from the npm proxy (no credentials)',
      async () => ({ url: (await started(startNpmProxy({ auth: CREDENTIALS }))).url }),
      'auth',
      /with 407.*missing or wrong/,
    ],
    [
      '401 from tinyproxy (wrong password)',
      async () => ({
        url: (await started(startTinyproxy({ auth: { user: 'svc', password: 'right' } }))).url,
        user: 'svc',
        passwordB64: b64('wrong'),
      }),
      'auth',
      // tinyproxy 1.11 answers CONNECT with 401 where the npm proxy says 407: both mean credentials.
      /with 401.*credentials/,
    ],
    [
      '403 from tinyproxy (destination blocked by its filter)',
      async () => ({ url: (await started(startTinyproxy({ allow: ['^nothing\\.invalid$'] }))).url }),
      'forbidden',
      /with 403.*blocks this destination \(allow 127\.0\.0\.1:\d+/,
    ],
    [
      'not a proxy: a web server answering 405',
      async () => ({ url: (await started(startWebServer(405))).url }),
      'not-a-proxy',
      /with 405.*not an HTTP CONNECT proxy/,
    ],
    [
      'not a proxy: a web server answering 400',
      async () => ({ url: (await started(startWebServer(400))).url }),
      'not-a-proxy',
      /with 400.*not an HTTP CONNECT proxy/,
    ],
    [
      "not a proxy: the broker's own TLS port",
      async () => ({ url: `http://127.0.0.1:${broker.port}` }),
      'not-a-proxy',
      /not an HTTP proxy/,
    ],
  ];

  it.each(cases.map(([name, proxy, kind, reason]) => [name, kind, reason, proxy] as const))(
    '%s: named %s in the failed event, then connected direct',
    async (_name, kind, reason, proxyOf) => {
      const proxy = await proxyOf();
      const { agent, failed, heartbeat } = await runProxyAgent(
        broker,
        { ...config, proxies: [proxy] },
        {
          connectTimeoutMs: 1_500,
        },
      );
      await agent.stop();

      const path = `proxy ${proxy.url}`;
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        path,
        next: 'direct',
        retryInMs: 0,
        failure: { kind: 'proxy', code: kind },
      });
      expect(failed[0]?.failure.reason).toMatch(reason);
      expect(heartbeat.connectivity).toMatchObject({
        transport: 'mqtts',
        proxy: null,
        pathFailures: [{ path }],
      });
      expect(heartbeat.connectivity.pathFailures?.[0]?.reason).toBe(failed[0]?.failure.reason);
      expect(heartbeat.connectivity.proxySource).toBeUndefined();
    },
  );

  it.each([
    ['the npm proxy without auth', () => startNpmProxy(), undefined],
    ['the npm proxy with Basic auth', () => startNpmProxy({ auth: CREDENTIALS }), CREDENTIALS],
    ['tinyproxy allowing the endpoint', () => startTinyproxy({ allow: ['^127\\.0\\.0\\.1$'] }), undefined],
    [
      'tinyproxy with Basic auth',
      () => startTinyproxy({ auth: { user: 'svc', password: 'right' } }),
      { user: 'svc', password: 'right' },
    ],
  ] as const)('connects through %s, reported with its source', async (_name, start, credentials) => {
    const proxy = await started(start());
    const { agent, failed, heartbeat } = await runProxyAgent(broker, {
      ...config,
      proxies: [
        credentials === undefined
          ? { url: proxy.url }
          : { url: proxy.url, user: credentials.user, passwordB64: b64(credentials.password) },
      ],
    });
    await agent.stop();

    expect(failed).toEqual([]);
    expect(heartbeat.connectivity).toMatchObject({
      transport: 'mqtts',
      proxy: proxy.url,
      proxySource: 'config',
    });
    expect(heartbeat.connectivity.pathFailures).toBeUndefined();
    expect(proxy.connects).toContain(`127.0.0.1:${broker.port}`);
  });

  it('backs off only after every path failed, logging each failure once with its reason', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const logger: AgentLogger = {
      debug() {},
      info() {},
      warn: (msg, fields) => {
        if (msg === 'connection failed') warnings.push(fields ?? {});
      },
      error() {},
    };
    const dead = await deadProxyUrl();
    const agent = new Agent({
      config: { ...config, proxies: [{ url: dead }] },
      logger,
      host: simulatedHost(DEVICE, 1),
      tuning: { connection: { connectTimeoutMs: 1_500, backoff: { baseMs: 300, maxMs: 300, jitter: 0 } } },
    });
    const failed: FailedEvent[] = [];
    agent.on('failed', (e) => failed.push(e));
    await broker.down();
    try {
      const roundFailed = new Promise<void>((resolve) =>
        agent.on('failed', (e) => {
          if (e.next === null) resolve();
        }),
      );
      await agent.start();
      await roundFailed;
      const connected = once(agent, 'connected');
      await broker.up();
      await connected;
    } finally {
      await agent.stop();
    }

    expect(failed.slice(0, 2)).toMatchObject([
      { attempt: 1, path: `proxy ${dead}`, next: 'direct', retryInMs: 0, failure: { code: 'refused' } },
      { attempt: 1, path: 'direct', next: null, retryInMs: 300, failure: { kind: 'tcp' } },
    ]);
    expect(warnings.slice(0, 2)).toMatchObject([
      { attempt: 1, path: `proxy ${dead}`, reason: failed[0]?.failure.reason },
      { attempt: 1, path: 'direct', reason: failed[1]?.failure.reason },
    ]);
  });
});
