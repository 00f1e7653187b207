/** Runs an agent against the test broker with given proxies, recording each path failure. */
import { Agent, type AgentEvents } from '#agent/agent.ts';
import type { AgentConfig } from '#agent/config.ts';
import { silentLogger } from '#agent/logger.ts';
import type { AgentLogger } from '#agent/module.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import type { TestBroker } from './tls-broker.ts';

export type FailedEvent = AgentEvents['failed'][0];

export interface ProxyAgentRun {
  readonly agent: Agent;
  readonly failed: FailedEvent[];
  /** The heartbeat sent right after the first connect. */
  readonly heartbeat: Heartbeat;
}

export function nextHeartbeat(broker: TestBroker, deviceId: string): Promise<Heartbeat> {
  return broker
    .nextPublish(basicIngestTopic(topics.heartbeat(deviceId)))
    .then((packet) => HeartbeatSchema.parse(decodeJson(packet.payload as Buffer)));
}

/** Starts the agent and resolves once it is connected and its first heartbeat has arrived. */
export async function runProxyAgent(
  broker: TestBroker,
  config: AgentConfig,
  options: { connectTimeoutMs?: number; preferredReprobeMs?: number; logger?: AgentLogger } = {},
): Promise<ProxyAgentRun> {
  const agent = new Agent({
    config,
    logger: options.logger ?? silentLogger,
    host: simulatedHost(config.deviceId, 1),
    tuning: {
      connection: {
        connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
        backoff: { baseMs: 50, maxMs: 200, jitter: 0.5 },
        ...(options.preferredReprobeMs === undefined
          ? {}
          : { preferredReprobeMs: options.preferredReprobeMs }),
      },
    },
  });
  const failed: FailedEvent[] = [];
  agent.on('failed', (e) => failed.push(e));
  const heartbeat = nextHeartbeat(broker, config.deviceId);
  await agent.start();
  try {
    await agent.waitConnected(15_000);
    return { agent, failed, heartbeat: await heartbeat };
  } catch (err) {
    await agent.stop();
    throw err;
  }
}
