/**
 * TLS interception, named as such against real interceptors: a MITM proxy with its own CA
 * (http-mitm-proxy, re-signing whatever host:port it is asked to CONNECT to), and a TLS server
 * with a CA of its own standing in for a transparent interceptor on the direct path. The agent
 * reports the exact sentence with the interceptor's CA name and the host to exempt, never sends
 * MQTT through it, and keeps what it queued until a clean path delivers it.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentEvents, type AgentOptions } from '#agent/agent.ts';
import { parseAgentConfig } from '#agent/config.ts';
import { silentLogger } from '#agent/logger.ts';
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';
import { topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { deviceFolder } from '../support/device-folder.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { type MitmProxy, startMitmProxy, subjectCommonName } from '../support/mitm-proxy.ts';
import { createTestCa, issueTestServerCert } from '../support/tls-certs.ts';

const DEVICE = 'mitm-dev-1';
const DIRECT_DEVICE = 'mitm-dev-2';

let t: TestCloud;
let mitm: MitmProxy;
let dir: string;
let mqttPort: number;
const lifecycle: string[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  [t, mitm] = await Promise.all([
    startTestCloud({
      handlersOverride: stubHandlers({
        presence: async (event) => {
          lifecycle.push((event as { topic: string }).topic);
        },
      }),
    }),
    startMitmProxy(),
  ]);
  mqttPort = Number(new URL(t.endpoints.mqttUrl).port);
  dir = await mkdtemp(join(tmpdir(), 'fleetpulse-mitm-it-'));
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await mitm?.close();
  await t?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function agentFor(
  deviceId: string,
  port: number,
  connection: NonNullable<AgentOptions['tuning']>['connection'] = {},
  extraConfig: Record<string, unknown> = {},
): Promise<Agent> {
  const folder = await deviceFolder(t, dir, deviceId, { port, logLevel: 'silent', ...extraConfig });
  const config = parseAgentConfig(folder.config, folder.dir);
  const agent = new Agent({
    config,
    logger: silentLogger,
    host: simulatedHost(deviceId, 2),
    tuning: { connection: { backoff: { baseMs: 100, maxMs: 500, jitter: 0 }, ...connection } },
  });
  agents.push(agent);
  return agent;
}

const publishedBy = (deviceId: string) => {
  const seen: string[] = [];
  const off = t.cloud.onDevicePublish((message) => {
    if (message.clientId === deviceId) seen.push(message.payload.toString('utf8'));
  });
  return { seen, off };
};

describe('TLS interception', () => {
  it('names a MITM proxy with its CA and the host to exempt, sends no MQTT through it, goes direct and reports it in the heartbeat', async () => {
    const mitmCa = subjectCommonName(mitm.caPem);
    const expected =
      `TLS interception on proxy ${mitm.url}: the certificate for 127.0.0.1 was issued by "${mitmCa}"; ` +
      'exempt 127.0.0.1 from SSL inspection';
    const heartbeats: Heartbeat[] = [];
    const offHeartbeats = t.cloud.onDevicePublish((message) => {
      if (message.clientId === DEVICE && message.topic === topics.heartbeat(DEVICE))
        heartbeats.push(HeartbeatSchema.parse(JSON.parse(message.payload.toString('utf8'))));
    });
    const published = publishedBy(DEVICE);
    const agent = await agentFor(DEVICE, mqttPort, {}, { proxies: [{ url: mitm.url }] });
    const failed = once(agent, 'failed') as Promise<AgentEvents['failed']>;

    await agent.start();
    const queued = agent.publish(topics.commandResult(DEVICE), Buffer.from('{"queued":"while intercepted"}'));
    const [{ failure }] = await failed;
    await agent.waitConnected(10_000);
    await queued;
    await expect.poll(() => heartbeats.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // Queued while offline: replayed after the outbox's jitter.
    await expect.poll(() => published.seen, { timeout: 10_000 }).toContain('{"queued":"while intercepted"}');
    await t.cloud.idle();
    offHeartbeats();
    published.off();

    expect(failure).toEqual({ kind: 'interception', code: 'TLS_INTERCEPTED', reason: expected });
    expect(mitm.connects).toContain(`127.0.0.1:${mqttPort}`);
    // One MQTT connection reached the broker: the direct one, after the interception.
    expect(lifecycle.filter((topic) => topic === topics.presence('connected', DEVICE))).toHaveLength(1);
    expect(heartbeats[0]?.connectivity).toMatchObject({
      proxy: null,
      interception: expected,
      pathFailures: [{ path: `proxy ${mitm.url}`, reason: expected }],
    });
  });

  it('names a direct path whose server presents another CA the same way, with path direct', async () => {
    const interceptor = await createTestCa('Transparent Inspection CA');
    const forged = await issueTestServerCert(interceptor);
    let applicationBytes = 0;
    const sockets = new Set<Socket>();
    const server = createTlsServer({ cert: forged.certPem, key: forged.keyPem }, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        applicationBytes += chunk.length;
      });
      socket.on('error', () => undefined);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const agent = await agentFor(DIRECT_DEVICE, port);
      const failed = once(agent, 'failed') as Promise<AgentEvents['failed']>;

      await agent.start();
      const [{ failure }] = await failed;
      await agent.stop();

      expect(failure).toEqual({
        kind: 'interception',
        code: 'TLS_INTERCEPTED',
        reason:
          'TLS interception on direct: the certificate for 127.0.0.1 was issued by "Transparent Inspection CA"; ' +
          'exempt 127.0.0.1 from SSL inspection',
      });
      expect(applicationBytes).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
