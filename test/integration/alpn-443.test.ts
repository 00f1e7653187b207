/**
 * Only the 443-style listener exists, and it checks ALPN like AWS IoT Core's 443: the real agent
 * with `"alpn": true` connects and heartbeats as mqtts-alpn-443; a client without ALPN gets the
 * HTTPS endpoint (403 with a Date header), never MQTT; an agent without ALPN fails with a reason
 * that says the port does not take MQTT without it.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions as TlsConnectOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentEvents } from '#agent/agent.ts';
import { parseAgentConfig } from '#agent/config.ts';
import { silentLogger } from '#agent/logger.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { deviceFolder } from '../support/device-folder.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';

const DEVICE = 'alpn-dev-1';
const NO_ALPN_DEVICE = 'alpn-dev-2';
const RAW_DEVICE = 'alpn-raw-1';
const POLICY_DEVICE = 'alpn-dev-3';

let t: TestCloud;
let dir: string;
let alpnPort: number;
/** Lifecycle topics the presence rule saw ($aws/events/presence/<type>/<clientId>). */
const lifecycle: string[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  t = await startTestCloud({
    mqttListeners: 'alpn-only',
    handlersOverride: stubHandlers({
      presence: async (event) => {
        lifecycle.push((event as { topic: string }).topic);
      },
    }),
  });
  alpnPort = Number(new URL(t.endpoints.mqttAlpnUrl).port);
  dir = await mkdtemp(join(tmpdir(), 'fleetpulse-alpn-'));
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await t?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function agentFor(deviceId: string, alpn: boolean): Promise<Agent> {
  const folder = await deviceFolder(t, dir, deviceId, { port: alpnPort, alpn, logLevel: 'silent' });
  const config = parseAgentConfig(folder.config, folder.dir);
  const agent = new Agent({
    config,
    logger: silentLogger,
    host: simulatedHost(deviceId, 1),
    tuning: { connection: { backoff: { baseMs: 50, maxMs: 200, jitter: 0 } } },
  });
  agents.push(agent);
  return agent;
}

/** An MQTT 3.1.1 CONNECT with a clean session, as any MQTT client writes it first. */
function mqttConnect(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0, 4, ...Buffer.from('MQTT'), 4, 0x02, 0, 30]);
  const payload = Buffer.concat([Buffer.from([0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, variable.length + payload.length]), variable, payload]);
}

/** A TLS connection to the ALPN port with a device's certificate, offering `alpn` (or nothing). */
async function tlsTo(deviceId: string, alpn?: string[]) {
  const cert = await t.deviceCert(deviceId);
  const options: TlsConnectOptions = {
    host: '127.0.0.1',
    port: alpnPort,
    ca: t.cloud.ca.certPem,
    cert: cert.certPem,
    key: cert.keyPem,
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
  };
  const socket = connect(options);
  await once(socket, 'secureConnect');
  return socket;
}

async function readAll(socket: import('node:tls').TLSSocket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}

describe('a local cloud with only the 443-style MQTT listener', () => {
  it('has no other MQTT listener: devices are pointed at the ALPN port', () => {
    expect(t.endpoints.mqttUrl).toBe(t.endpoints.mqttAlpnUrl);
  });

  it('connects an agent that asks for ALPN x-amzn-mqtt-ca; its heartbeat names the transport', async () => {
    const agent = await agentFor(DEVICE, true);
    const heartbeat = new Promise<Buffer>((resolve) => {
      const off = t.cloud.onDevicePublish((message) => {
        if (message.topic !== topics.heartbeat(DEVICE)) return;
        off();
        resolve(message.payload);
      });
    });

    await agent.start();
    await agent.waitConnected(10_000);

    const parsed = HeartbeatSchema.parse(decodeJson(await heartbeat));
    expect(parsed.connectivity).toMatchObject({ transport: 'mqtts-alpn-443', port: alpnPort, proxy: null });
    await t.cloud.idle();
    expect(lifecycle).toContain(topics.presence('connected', DEVICE));
  });

  it('applies the same device policy there: a publish outside its own topics closes the connection', async () => {
    const client = await t.deviceClient(POLICY_DEVICE, { mqtt: { ALPNProtocols: ['x-amzn-mqtt-ca'] } });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    client.publish(topics.heartbeat('someone-else'), Buffer.from('{}'), { qos: 1 });
    await closed;

    await t.cloud.idle();
    expect(lifecycle).toContain(topics.presence('connected', POLICY_DEVICE));
    expect(lifecycle).toContain(topics.presence('disconnected', POLICY_DEVICE));
  });

  it('answers a client without ALPN as an HTTPS endpoint: 403, JSON, and the server clock in Date', async () => {
    const socket = await tlsTo(RAW_DEVICE);
    expect(socket.alpnProtocol).toBe(false);

    const before = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const response = await readAll(socket);

    const [head = '', body = ''] = response.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(JSON.parse(body)).toEqual({
      message: 'Forbidden: MQTT on this port requires TLS ALPN x-amzn-mqtt-ca',
    });
    const date = /\r\ndate: (.+)/i.exec(head)?.[1];
    expect(date).toBeDefined();
    // Date has whole seconds: the server's clock within a second of ours.
    expect(Math.abs(Date.parse(date as string) - before)).toBeLessThan(2_000);
  });

  it('answers http/1.1 the same way', async () => {
    const socket = await tlsTo(RAW_DEVICE, ['http/1.1']);
    expect(socket.alpnProtocol).toBe('http/1.1');

    socket.write('GET /topics/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');

    expect((await readAll(socket)).split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
  });

  it('never takes MQTT without ALPN: a CONNECT gets an HTTP 400 and no lifecycle event', async () => {
    const socket = await tlsTo(RAW_DEVICE);

    socket.write(mqttConnect(RAW_DEVICE));
    const response = await readAll(socket);

    expect(response.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    await t.cloud.idle();
    expect(lifecycle.filter((topic) => topic.endsWith(`/${RAW_DEVICE}`))).toEqual([]);
  });

  it('refuses the handshake of a client that offers only another protocol', async () => {
    const cert = await t.deviceCert(RAW_DEVICE);
    const socket = connect({
      host: '127.0.0.1',
      port: alpnPort,
      ca: t.cloud.ca.certPem,
      cert: cert.certPem,
      key: cert.keyPem,
      ALPNProtocols: ['mqtt'],
    });

    const [err] = await once(socket, 'error').catch((e: unknown) => [e]);

    expect((err as NodeJS.ErrnoException).code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  });

  it('fails an agent without ALPN with a reason that says the port needs it', async () => {
    const agent = await agentFor(NO_ALPN_DEVICE, false);
    const failed = once(agent, 'failed') as Promise<AgentEvents['failed']>;

    await agent.start();
    const [{ failure }] = await failed;
    await agent.stop();

    expect(failure).toMatchObject({ kind: 'tls', code: 'ALPN_REQUIRED' });
    expect(failure.reason).toBe(
      `127.0.0.1:${alpnPort} answered MQTT with HTTP ("HTTP/1.1 400 Bad Request"): this port does not take MQTT without ALPN x-amzn-mqtt-ca; set "alpn": true in agent.json, or use the MQTT port (8883)`,
    );
    await t.cloud.idle();
    expect(lifecycle.filter((topic) => topic.endsWith(`/${NO_ALPN_DEVICE}`))).toEqual([]);
  });
});
