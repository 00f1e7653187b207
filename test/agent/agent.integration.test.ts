import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import { silentLogger } from '#agent/logger.ts';
import { CommandResultSchema } from '#protocol/commands.ts';
import { decodeJson, encodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { startAgentFixture, type TestBroker } from './tls-broker.ts';

const DEVICE = 'it-device-1';

describe('Agent against a real MQTT broker over mutual TLS', () => {
  let dir: string;
  let broker: TestBroker;
  let agent: Agent;

  beforeAll(async () => {
    const fixture = await startAgentFixture(DEVICE, 'fleetpulse-agent-it-');
    dir = fixture.dir;
    broker = fixture.broker;
    const { config } = fixture;
    agent = new Agent({
      config,
      logger: silentLogger,
      host: simulatedHost(DEVICE, 7),
      tuning: { connection: { backoff: { baseMs: 20, maxMs: 200, jitter: 0.5 } } },
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends a valid heartbeat right after connecting, through the Basic Ingest topic of its rule', async () => {
    const heartbeat = broker.nextPublish(`$aws/rules/fleetpulse_heartbeat/${topics.heartbeat(DEVICE)}`);

    await agent.start();
    const packet = await heartbeat;

    const parsed = HeartbeatSchema.parse(decodeJson(packet.payload as Buffer));
    expect(parsed.connectivity).toMatchObject({ transport: 'mqtts', port: broker.port, proxy: null });
    expect(parsed.connectivity.rttMs).toEqual(expect.any(Number));
    expect(parsed.policyVersion).toBe(0);
  });

  it('leaves no listener behind per acknowledged QoS 1 publish', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);

    try {
      // Past EventEmitter's default bound of 10 listeners per event, which a leak would exceed.
      for (let i = 0; i < 25; i++) await agent.publish(topics.heartbeat(DEVICE), encodeJson({ i }));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }

    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('answers a policy command with the version it now runs', async () => {
    // Results go through Basic Ingest, like every device message a rule takes.
    const resultTopic = basicIngestTopic(topics.commandResult(DEVICE));
    const result = broker.nextPublish(resultTopic);
    const succeeded = new Promise<unknown>((resolve) =>
      broker.aedes.on('publish', (packet, client) => {
        if (client === null || packet.topic !== resultTopic) return;
        const body = CommandResultSchema.parse(decodeJson(packet.payload as Buffer));
        if (body.status === 'succeeded') resolve(body);
      }),
    );

    await broker.publish(
      topics.command(DEVICE),
      encodeJson({ type: 'policy', commandId: 'p-1', issuedAt: Date.now(), policy: { version: 3 } }),
    );

    expect(CommandResultSchema.parse(decodeJson((await result).payload as Buffer)).status).toBe(
      'acknowledged',
    );
    expect(await succeeded).toMatchObject({ commandId: 'p-1', detail: { policyVersion: 3 } });
    expect(agent.policy().version).toBe(3);
  });

  it('delivers a message published while the broker is down once it is back', async () => {
    const disconnected = new Promise((resolve) => agent.once('disconnected', resolve));
    await broker.down();
    await disconnected;

    await agent.publish(topics.report(DEVICE), Buffer.from('queued while offline'));
    const arrived = broker.nextPublish(basicIngestTopic(topics.report(DEVICE)));
    await broker.up();

    expect((await arrived).payload.toString()).toBe('queued while offline');
  });
});
