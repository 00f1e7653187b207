/**
 * The analyzer as `fleetpulse-agent` registers it (agent/real-modules.ts), in a real agent against
 * the in-process local cloud: sessions log on and off a multi-user machine, and the cloud's session
 * summaries show each session's batches, the ended one marked ended.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '#agent/agent.ts';
import type { AnalyzedSession, AnalyzerSource } from '#agent/analyzer/runtime.ts';
import { parseAgentConfig } from '#agent/config.ts';
import { silentLogger } from '#agent/logger.ts';
import { realAgentModules } from '#agent/real-modules.ts';
import { readSummary } from '#lambdas/analyzer/session-store.ts';
import type { AnalyzerSample } from '#protocol/analyzer.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { tables } from '#wiring/fleet.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DEVICE = 'an-agent-1';

/** A terminal server whose users the test logs on and off. */
class MultiUserSource implements AnalyzerSource {
  current: AnalyzedSession[] = [];
  async sessions() {
    return this.current;
  }
  async sample(sessions: readonly AnalyzedSession[], at: number) {
    const sample = (s: AnalyzedSession): AnalyzerSample => ({
      t: at,
      state: s.state,
      cpuPct: 12,
      memPct: 40,
      diskKBps: 3,
      netRxKBps: 2,
      netTxKBps: 1,
      apps: [{ app: 'winword.exe', procs: 1, cpuPct: 4, memMb: 120, focusSec: 1 }],
    });
    return new Map(sessions.map((s) => [s.id, sample(s)]));
  }
}

const user = (id: string): AnalyzedSession => ({ id, user: `CORP\\${id}`, state: 'active' });

describe('the registered analyzer against the local cloud', () => {
  let t: TestCloud;
  let dir: string;
  let agent: Agent;
  const source = new MultiUserSource();

  beforeAll(async () => {
    t = await startTestCloud();
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-analyzer-it-'));
    const cert = await t.deviceCert(DEVICE);
    const url = new URL(t.endpoints.mqttUrl);
    const config = parseAgentConfig(
      {
        deviceId: DEVICE,
        region: 'local',
        endpoint: url.hostname,
        port: Number(url.port),
        certPath: 'cert.pem',
        keyPath: 'key.pem',
        dataDir: 'data',
      },
      dir,
    );
    // Only the analyzer of the real agent's modules: the real inventory collectors are not under test.
    const modules = realAgentModules({
      analyzer: { source, sampleIntervalSec: 1, uploadIntervalSec: 3 },
    }).filter((m) => m.name === 'analyzer');
    agent = new Agent({
      config,
      identity: { cert: cert.certPem, key: cert.keyPem, ca: await readFile(t.endpoints.caCertPath, 'utf8') },
      host: simulatedHost(DEVICE, 5),
      logger: silentLogger,
      modules,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await t?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts each session's batches in the cloud as users log on and off; a logged-off session sends no more", async () => {
    const deps = { ddb: t.aws.ddb, table: tables.analyzer.localName };
    const summary = (sessionId: string) => readSummary(deps, DEVICE, sessionId).then((s) => s?.summary);
    const highest = async (sessionId: string) => (await summary(sessionId))?.received.at(-1)?.[1] ?? 0;
    source.current = [user('ada'), user('bob')];
    await agent.start();
    await agent.waitConnected(10_000);

    await waitFor(async () => ((await highest('ada')) > 0 && (await highest('bob')) > 0 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'batches of the two first sessions',
    });
    source.current = [user('ada'), user('cyd')]; // bob logs off, cyd logs on
    await waitFor(async () => ((await highest('cyd')) > 0 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: "cyd's first batch",
    });
    // Bob's last batch (if he held samples) was sent at log-off, before cyd's first.
    const bobAfterLogOff = await summary('bob');
    const adaNow = await highest('ada');
    await waitFor(async () => ((await highest('ada')) >= adaNow + 2 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'two more batches of ada',
    });

    expect(await summary('bob')).toEqual(bobAfterLogOff);
    expect(bobAfterLogOff).toMatchObject({ user: 'CORP\\bob', received: [[1, expect.any(Number)]] });
    expect(await summary('cyd')).toMatchObject({ user: 'CORP\\cyd', ended: false });
    expect((await summary('ada'))?.received).toEqual([[1, expect.any(Number)]]);
  });
});
