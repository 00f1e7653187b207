/**
 * A simulated terminal server of the fleet simulator, with the analyzer registered as `npm start`
 * registers it (simulator/analyzer/module.ts), against the in-process local cloud: several users'
 * sessions, each summarised by the cloud, none dead-lettered.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSessions } from '#lambdas/analyzer/session-store.ts';
import { batchCounts, type SessionSummary } from '#lambdas/analyzer/summary.ts';
import { simulatedAnalyzerModule } from '#simulator/analyzer/module.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { tables } from '#wiring/fleet.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { fleetConnection, startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
let fleet: SimulatedFleet | undefined;

beforeAll(async () => {
  t = await startTestCloud();
});

afterAll(async () => {
  await fleet?.stop();
  await t?.cleanup();
});

async function sessionsOf(deviceId: string): Promise<SessionSummary[]> {
  const { summaries } = await listSessions({ ddb: t.aws.ddb, table: tables.analyzer.localName }, deviceId, {
    limit: 100,
  });
  return summaries;
}

describe('simulated analyzer', () => {
  it("publishes a terminal server's sessions, several users' each, and the cloud counts them all", async () => {
    fleet = await startSimulatedFleet({
      count: 1,
      ...fleetConnection(t),
      seed: 11,
      modules: (deviceId, seed, host) => [
        simulatedAnalyzerModule(deviceId, seed, host, {
          terminalServer: true,
          sampleIntervalSec: 1,
          uploadIntervalSec: 2,
        }),
      ],
    });
    const deviceId = fleet.deviceIds[0] ?? '';

    // A terminal server starts with 5–30 sessions: wait until each has at least two batches counted.
    const sessions = await waitFor(
      async () => {
        const found = await sessionsOf(deviceId);
        const counted = found.filter((s) => batchCounts(s.received).received >= 2);
        return found.length >= 5 && counted.length === found.length ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'every session of the terminal server with two batches' },
    );
    // The heartbeat lists the machine's sessions as the analyzer sees them (ids, users).
    const device = await waitFor(
      async () => {
        const res = await fetch(`${t.endpoints.apiUrl}/devices/${deviceId}`, {
          headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
        });
        const body = (await res.json()) as {
          sessions?: Array<{ id: string }>;
          analyzer?: { sessions: number };
        };
        return res.ok && body.analyzer !== undefined ? body : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'a heartbeat with the analyzer status' },
    );
    await fleet.stop();
    fleet = undefined;

    const analyzed = new Set(sessions.map((s) => s.sessionId));
    expect(device.sessions?.length).toBeGreaterThanOrEqual(5);
    expect(device.sessions?.filter((s) => analyzed.has(s.id)).length).toBeGreaterThanOrEqual(5);

    expect(new Set(sessions.map((s) => s.user)).size).toBeGreaterThan(1);
    expect(sessions.every((s) => /^CORP\\user\d+$/.test(s.user))).toBe(true);
    const letters = await t.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: t.cloud.queues.ingestDeadLetter.url, MaxNumberOfMessages: 10 }),
    );
    const analyzerLetters = (letters.Messages ?? [])
      .map((m) => DeadLetterSchema.parse(JSON.parse(m.Body ?? '')))
      .filter((l) => l.deviceId === deviceId);
    expect(analyzerLetters).toEqual([]);
  });
});
