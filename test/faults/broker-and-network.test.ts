/**
 * Store and forward under a broker restart and a network cut, mid-stream: two numbered streams
 * (command results and analyzer batches) go through the real Agent.publish, and every message is
 * counted by number at the broker. Zero loss, first arrivals in order per class; duplicates (QoS 1
 * resends of what the broker got but could not acknowledge) are allowed and counted.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import { silentLogger } from '#agent/logger.ts';
import { topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { startAgentFixture } from '../agent/tls-broker.ts';
import { expectWholeInOrder, recordStream, streamPayload } from '../support/broker-stream.ts';
import { startTcpRelay } from '../support/tcp-relay.ts';
import { waitFor } from '../support/wait.ts';

const N = 300;
const tuning = {
  connection: { backoff: { baseMs: 20, maxMs: 200, jitter: 0.5 }, connectTimeoutMs: 2_000 },
  // Fast pacing: these tests count messages; pacing has its own tests.
  outbox: { replay: { messagesPerSec: 2_000, bytesPerSec: 64 * 1024 * 1024, jitterMaxMs: 50 } },
};

/** Publishes results 1..N and analyzer batches 1..N side by side; `at(k)` runs a fault once k are done. */
async function publishStreams(
  agent: Agent,
  deviceId: string,
  fault: { at: number; run: () => Promise<void> },
) {
  const stream = async (topic: string) => {
    for (let n = 1; n <= N; n++) {
      await agent.publish(topic, streamPayload(n));
      if (n === fault.at && topic === topics.commandResult(deviceId)) void fault.run();
    }
  };
  await Promise.all([stream(topics.commandResult(deviceId)), stream(topics.analyzer(deviceId, 'sess-1'))]);
}

describe('outbox faults with every message counted', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('loses nothing and keeps order per class when the broker restarts mid-stream', async () => {
    const deviceId = 'fault-broker-1';
    const { dir, broker, config } = await startAgentFixture(deviceId, 'fleetpulse-fault-broker-');
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => broker.close(),
    );
    const counted = recordStream(broker.aedes);
    const agent = new Agent({
      config,
      logger: silentLogger,
      host: simulatedHost(deviceId, 1),
      // A replay slow enough for the second restart to land in the middle of it.
      tuning: { ...tuning, outbox: { replay: { ...tuning.outbox.replay, messagesPerSec: 200 } } },
    });
    cleanups.push(() => agent.stop());
    await agent.start();
    await agent.waitConnected(10_000);
    let disconnects = 0;
    agent.on('disconnected', () => disconnects++);

    await publishStreams(agent, deviceId, {
      at: N / 3,
      run: async () => {
        await broker.down();
        // Long enough for the agent to fail a few reconnects and queue on disk meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await broker.up();
        // Down again in the middle of the replay, with a window of messages in flight.
        const before = counted.of('analyzer').distinct.size;
        await waitFor(() => counted.of('analyzer').distinct.size >= before + 40, { timeoutMs: 20_000 });
        await broker.down();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await broker.up();
      },
    });
    await waitFor(
      () => counted.of('command-result').distinct.size === N && counted.of('analyzer').distinct.size === N,
      {
        timeoutMs: 30_000,
        what: 'every numbered message at the broker',
      },
    );

    expect(disconnects).toBeGreaterThanOrEqual(2);
    const results = expectWholeInOrder(counted.of('command-result'), N);
    const batches = expectWholeInOrder(counted.of('analyzer'), N);
    // QoS 1 may resend what was in flight when the broker went: at most the in-flight window.
    expect(results.duplicates + batches.duplicates).toBeLessThanOrEqual(2 * 8);
  });

  it('loses nothing when the network is cut mid-stream and refuses connections for a while', async () => {
    const deviceId = 'fault-network-1';
    const { dir, broker, config } = await startAgentFixture(deviceId, 'fleetpulse-fault-net-');
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => broker.close(),
    );
    const relay = await startTcpRelay({ host: '127.0.0.1', port: broker.port });
    cleanups.push(() => relay.close());
    const counted = recordStream(broker.aedes);
    const agent = new Agent({
      config: { ...config, port: relay.port },
      logger: silentLogger,
      host: simulatedHost(deviceId, 2),
      tuning,
    });
    cleanups.push(() => agent.stop());
    await agent.start();
    await agent.waitConnected(10_000);

    const cuts = [N / 4, N / 2, (3 * N) / 4];
    await publishStreams(agent, deviceId, {
      at: cuts[0] ?? 0,
      run: async () => {
        for (const [i] of cuts.entries()) {
          if (i > 0)
            await waitFor(() => counted.of('command-result').distinct.size >= (cuts[i] ?? 0) - 10, {
              timeoutMs: 20_000,
            });
          // The first cut also refuses reconnects for a while; the others are bare cuts.
          if (i === 0) await relay.refuse();
          relay.cut();
          if (i === 0) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            await relay.restore();
          }
        }
      },
    });
    await waitFor(
      () => counted.of('command-result').distinct.size === N && counted.of('analyzer').distinct.size === N,
      {
        timeoutMs: 30_000,
        what: 'every numbered message at the broker',
      },
    );

    expect(relay.accepted).toBeGreaterThanOrEqual(1 + cuts.length);
    expectWholeInOrder(counted.of('command-result'), N);
    expectWholeInOrder(counted.of('analyzer'), N);
  });
});
