/**
 * The ordered proxy list with real proxies: the first is down, the agent connects through the
 * second, and moves back to the first once a re-probe finds it working. And the other sources of
 * proxies: HTTPS_PROXY / NO_PROXY, and a PAC file served over HTTP.
 */
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentConfig } from '#agent/config.ts';
import { encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { startNpmProxy, startTinyproxy, type TestProxy } from '../support/proxies.ts';
import { waitFor } from '../support/wait.ts';
import { nextHeartbeat, runProxyAgent } from './proxy-agent.ts';
import { startAgentFixture, type TestBroker } from './tls-broker.ts';

const DEVICE = 'it-proxy-failover';

describe('ordered proxies, environment and PAC, against real proxies', () => {
  let dir: string;
  let broker: TestBroker;
  let config: AgentConfig;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    ({ dir, broker, config } = await startAgentFixture(DEVICE, 'fleetpulse-proxy-failover-'));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function proxy(start: Promise<TestProxy>): Promise<TestProxy> {
    const p = await start;
    closers.push(() => p.close());
    return p;
  }

  const target = () => `127.0.0.1:${broker.port}`;

  it('goes through the second proxy while the first is down, then back to the first within the re-probe interval', async () => {
    const p1 = await proxy(startNpmProxy());
    const p2 = await proxy(startTinyproxy());
    await p1.down();

    const { agent, failed, heartbeat } = await runProxyAgent(
      broker,
      { ...config, proxies: [{ url: p1.url }, { url: p2.url }] },
      { preferredReprobeMs: 300 },
    );
    try {
      expect(failed).toMatchObject([
        { path: `proxy ${p1.url}`, next: `proxy ${p2.url}`, failure: { code: 'refused' } },
      ]);
      expect(heartbeat.connectivity).toMatchObject({
        proxy: p2.url,
        proxySource: 'config',
        pathFailures: [{ path: `proxy ${p1.url}`, reason: expect.stringMatching(/connection refused/) }],
      });
      await waitFor(() => p2.connects.includes(target()), { what: 'the CONNECT logged by tinyproxy' });
      expect(p1.connects).toEqual([]);

      const movedBack = once(agent, 'disconnected');
      const backOnP1 = nextHeartbeatAfterReconnect();
      await p1.up();
      const [moved] = await movedBack;
      const after = await backOnP1;

      expect(moved).toMatchObject({
        reason: expect.stringMatching(/preferred path proxy http.*works again/),
        retryInMs: 0,
      });
      expect(after.connectivity).toMatchObject({ proxy: p1.url, proxySource: 'config' });
      expect(after.connectivity.pathFailures).toBeUndefined();
      // One CONNECT for the probe, one for the connection now carried by P1.
      expect(p1.connects).toEqual([target(), target()]);
    } finally {
      await agent.stop();
    }

    function nextHeartbeatAfterReconnect() {
      return once(agent, 'connected').then(() => nextHeartbeat(broker, DEVICE));
    }
  });

  it("moves at once to a proxy a new policy lists, reported with source 'policy'", async () => {
    const policyProxy = await proxy(startNpmProxy());
    // Its own data folder: the policy it is given is kept there, and must not reach the other tests.
    const { agent, heartbeat } = await runProxyAgent(
      broker,
      { ...config, dataDir: join(dir, 'policy-data') },
      { preferredReprobeMs: 60_000 },
    );
    try {
      expect(heartbeat.connectivity.proxy).toBeNull();

      const moved = once(agent, 'disconnected');
      const reconnected = once(agent, 'connected').then(() => nextHeartbeat(broker, DEVICE));
      await broker.publish(
        topics.command(DEVICE),
        encodeJson({
          type: 'policy',
          commandId: 'p-proxies',
          issuedAt: Date.now(),
          policy: { version: 5, proxies: [{ url: policyProxy.url }] },
        }),
      );
      const [event] = await moved;
      const after = await reconnected;

      expect(event.reason).toMatch(/preferred path proxy http/);
      expect(after.connectivity).toMatchObject({ proxy: policyProxy.url, proxySource: 'policy' });
      expect(policyProxy.connects.length).toBe(2);
    } finally {
      await agent.stop();
    }
  });

  it('honours HTTPS_PROXY when no list is set', async () => {
    const envProxy = await proxy(startNpmProxy());
    vi.stubEnv('HTTPS_PROXY', envProxy.url);
    vi.stubEnv('NO_PROXY', 'iot.example.com');

    const { agent, heartbeat } = await runProxyAgent(broker, config);
    await agent.stop();

    expect(heartbeat.connectivity).toMatchObject({ proxy: envProxy.url, proxySource: 'env' });
    expect(envProxy.connects).toEqual([target()]);
  });

  it('goes direct when NO_PROXY covers the endpoint', async () => {
    const envProxy = await proxy(startNpmProxy());
    vi.stubEnv('https_proxy', envProxy.url);
    vi.stubEnv('no_proxy', 'localhost,127.0.0.1');

    const { agent, heartbeat } = await runProxyAgent(broker, config);
    await agent.stop();

    expect(heartbeat.connectivity).toMatchObject({ proxy: null });
    expect(heartbeat.connectivity.proxySource).toBeUndefined();
    expect(envProxy.connects).toEqual([]);
  });

  it('uses the proxy a PAC file names for the endpoint', async () => {
    const pacProxy = await proxy(startNpmProxy());
    const pac = await servePac(
      `function FindProxyForURL(url, host) {
         if (shExpMatch(url, "https://127.0.0.1:*") && host === "127.0.0.1") return "PROXY 127.0.0.1:${pacProxy.port}; DIRECT";
         return "DIRECT";
       }`,
    );

    const { agent, heartbeat } = await runProxyAgent(broker, { ...config, pacUrl: `${pac}/proxy.pac` });
    await agent.stop();

    expect(heartbeat.connectivity).toMatchObject({ proxy: pacProxy.url, proxySource: 'pac' });
    expect(pacProxy.connects).toEqual([target()]);
  });

  it('goes direct when the PAC file cannot be fetched, naming why', async () => {
    const pac = await servePac(null);

    const { agent, heartbeat } = await runProxyAgent(broker, { ...config, pacUrl: `${pac}/missing.pac` });
    await agent.stop();

    expect(heartbeat.connectivity).toMatchObject({
      proxy: null,
      pathFailures: [{ path: `pac ${pac}/missing.pac`, reason: expect.stringMatching(/HTTP 404/) }],
    });
  });

  /** An HTTP server answering every path with `body` as a PAC file, or 404 when null. */
  async function servePac(body: string | null): Promise<string> {
    const server: Server = createServer((_req, res) => {
      if (body === null) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/x-ns-proxy-autoconfig' }).end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});
