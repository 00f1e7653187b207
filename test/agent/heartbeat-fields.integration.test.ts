/**
 * Modules contribute heartbeat fields; the published heartbeat carries them, and a module whose
 * contribution throws costs only its own fields.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import type { AgentLogger, AgentModule } from '#agent/module.ts';
import { CommandResultSchema } from '#protocol/commands.ts';
import { decodeJson, encodeJson } from '#protocol/encoding.ts';
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { startAgentFixture, type TestBroker } from './tls-broker.ts';

const DEVICE = 'it-device-fields';

function recordingLogger() {
  const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const logger: AgentLogger = {
    debug() {},
    info() {},
    warn: (msg, fields) => warnings.push({ msg, ...(fields === undefined ? {} : { fields }) }),
    error() {},
  };
  return { logger, warnings };
}

const fieldsModule = (name: string, heartbeatFields: () => Partial<Heartbeat>): AgentModule => ({
  name,
  start: async () => undefined,
  stop: async () => undefined,
  heartbeatFields,
});

describe('heartbeat fields contributed by modules, against a real broker', () => {
  let dir: string;
  let broker: TestBroker;
  let agent: Agent;
  const { logger, warnings } = recordingLogger();
  const heartbeatTopic = basicIngestTopic(topics.heartbeat(DEVICE));
  const nextHeartbeat = async () =>
    HeartbeatSchema.parse(decodeJson((await broker.nextPublish(heartbeatTopic)).payload as Buffer));

  beforeAll(async () => {
    const fixture = await startAgentFixture(DEVICE, 'fleetpulse-fields-it-');
    dir = fixture.dir;
    broker = fixture.broker;
    const { config } = fixture;
    agent = new Agent({
      config,
      logger,
      host: simulatedHost(DEVICE, 3),
      modules: [
        fieldsModule('counter', () => ({ reportSeq: 42, reportEpoch: 'epoch-42' })),
        fieldsModule('broken', () => {
          throw new Error('sensor unplugged');
        }),
      ],
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes what a module contributes, and leaves out only the module that throws', async () => {
    const heartbeat = nextHeartbeat();

    await agent.start();

    expect(await heartbeat).toMatchObject({ reportSeq: 42, reportEpoch: 'epoch-42', policyVersion: 0 });
    expect(warnings).toContainEqual({
      msg: 'heartbeat fields of a module left out: it threw',
      fields: { module: 'broken', error: 'sensor unplugged' },
    });
  });

  it('reports the version the policy module applied in the next heartbeat', async () => {
    const applied = new Promise<void>((resolve) =>
      broker.aedes.on('publish', (packet, client) => {
        if (client === null || packet.topic !== basicIngestTopic(topics.commandResult(DEVICE))) return;
        if (CommandResultSchema.parse(decodeJson(packet.payload as Buffer)).status === 'succeeded') resolve();
      }),
    );
    await broker.publish(
      topics.command(DEVICE),
      encodeJson({ type: 'policy', commandId: 'p-7', issuedAt: Date.now(), policy: { version: 7 } }),
    );
    await applied;

    const heartbeat = nextHeartbeat();
    await agent.sendHeartbeat();

    expect((await heartbeat).policyVersion).toBe(7);
  });
});
