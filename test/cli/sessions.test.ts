/**
 * `fleetpulse sessions list|show|batches|batch` as a person runs them against the real local
 * cloud, after a device published analyzer batches through Basic Ingest: tables for people, JSON
 * for scripts, and a clear message with a non-zero exit for unknown devices, sessions and batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch, encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { fleetpulse, STACK_FRAME } from '../support/fleetpulse-cli.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DEVICE = 'cli-ses-1';
const START = Date.UTC(2024, 8, 2, 9);

function batchOf(sessionId: string, offsetMs: number, seq: number): AnalyzerBatch {
  const session = new SimulatedSession({ seed: seq + offsetMs, platform: 'windows' });
  const start = START + offsetMs + (seq - 1) * 300_000;
  return {
    sessionId,
    user: `CORP\\${sessionId}`,
    seq,
    intervalSec: 15,
    final: false,
    samples: Array.from({ length: 20 }, (_, i) => session.sample(start + (i + 1) * 15_000, 15)),
  };
}

let t: TestCloud;
let api: string[];
const published = new Map<string, AnalyzerBatch>();

beforeAll(async () => {
  t = await startTestCloud();
  api = ['--api-url', t.endpoints.apiUrl, '--token', t.endpoints.apiToken];
  const device = await t.deviceClient(DEVICE);
  await device.publishAsync(`dt/fleet/${DEVICE}/heartbeat`, JSON.stringify(validHeartbeat()), { qos: 1 });
  for (const [sessionId, offsetMs, seqs] of [
    ['early', 0, [1]],
    ['late', 3_600_000, [1, 2]],
  ] as const) {
    for (const seq of seqs) {
      const wire = encodeAnalyzerBatch(batchOf(sessionId, offsetMs, seq));
      published.set(`${sessionId}/${seq}`, decodeAnalyzerBatch(wire));
      await device.publishAsync(basicIngestTopic(topics.analyzer(DEVICE, sessionId)), encodeFramed(wire), {
        qos: 1,
      });
    }
  }
  device.end(true);
  await t.cloud.idle();
  await waitFor(
    async () => {
      const res = await fetch(`${t.endpoints.apiUrl}/devices/${DEVICE}/sessions/late`, {
        headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
      });
      const body = res.ok ? ((await res.json()) as { batches: { received: number } }) : undefined;
      const device = await fetch(`${t.endpoints.apiUrl}/devices/${DEVICE}`, {
        headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
      });
      return body?.batches.received === 2 && device.ok;
    },
    { timeoutMs: 20_000, what: 'the late session with two batches, and the device' },
  );
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('fleetpulse sessions', () => {
  it('lists the sessions most recent first, as a table and as JSON', { timeout: 30_000 }, async () => {
    const [tableRun, jsonRun] = await Promise.all([
      fleetpulse(['sessions', 'list', DEVICE, ...api]),
      fleetpulse(['sessions', 'list', DEVICE, '--json', ...api]),
    ]);

    expect(tableRun.code, tableRun.stderr).toBe(0);
    const lines = tableRun.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+USER\s+FIRST SEEN\s+LAST SEEN\s+ACTIVE/);
    expect(lines[2]).toMatch(/^late\s+CORP\\late\s+2024-09-02T10:00:15Z/);
    expect(lines[3]).toMatch(/^early\s+CORP\\early\s+2024-09-02T09:00:15Z/);
    expect(lines[2]).toMatch(/\s2\s+0$/);
    expect(jsonRun.code, jsonRun.stderr).toBe(0);
    const rows = JSON.parse(jsonRun.stdout) as Array<{ sessionId: string; batches: unknown }>;
    expect(rows.map((r) => [r.sessionId, r.batches])).toEqual([
      ['late', { received: 2, missing: 0 }],
      ['early', { received: 1, missing: 0 }],
    ]);
  });

  it('keeps to the time range given', { timeout: 30_000 }, async () => {
    const run = await fleetpulse([
      'sessions',
      'list',
      DEVICE,
      '--from',
      '2024-09-02T09:30:00Z',
      '--json',
      ...api,
    ]);

    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as Array<{ sessionId: string }>).map((r) => r.sessionId)).toEqual([
      'late',
    ]);
  });

  it('shows a summary with states, CPU, memory, top apps and batch counts', { timeout: 30_000 }, async () => {
    const run = await fleetpulse(['sessions', 'show', DEVICE, 'late', ...api]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^user {6}CORP\\late$/m);
    expect(run.stdout).toMatch(/^states {4}active \d/m);
    expect(run.stdout).toMatch(/^cpu {7}peak [\d.]+%, average [\d.]+%$/m);
    expect(run.stdout).toMatch(/^batches {3}2 received, 0 missing$/m);
    expect(run.stdout).toMatch(/^Top apps by focus$/m);
    expect(run.stdout).toMatch(/^Top apps by CPU\nAPP\s+AVG CPU$/m);
  });

  it('lists the batches and prints one decoded as JSON', { timeout: 30_000 }, async () => {
    const [batches, batch] = await Promise.all([
      fleetpulse(['sessions', 'batches', DEVICE, 'late', ...api]),
      fleetpulse(['sessions', 'batch', DEVICE, 'late', '2', '--json', ...api]),
    ]);

    expect(batches.code, batches.stderr).toBe(0);
    expect(batches.stdout).toMatch(/^1\s+2024-09-02T10:00:15Z \(.+\)\s+2024-09-02T10:05:00Z \(.+\)\s+20$/m);
    expect(batches.stdout).toMatch(/^2\s+2024-09-02T10:05:15Z/m);
    expect(batch.code, batch.stderr).toBe(0);
    expect(JSON.parse(batch.stdout).batch).toEqual(JSON.parse(JSON.stringify(published.get('late/2'))));
  });

  it('prints a batch as a table of its samples', { timeout: 30_000 }, async () => {
    const run = await fleetpulse(['sessions', 'batch', DEVICE, 'early', '1', ...api]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^samples {3}20 every 15s, \d+ bytes as sent$/m);
    expect(run.stdout).toMatch(/^2024-09-02T09:00:15Z\s+(active|idle|locked|disconnected)\s+[\d.]+%/m);
  });

  it('says which device, session or batch is not known, and exits non-zero', {
    timeout: 30_000,
  }, async () => {
    const [device, session, batch, seq] = await Promise.all([
      fleetpulse(['sessions', 'list', 'no-such-device', ...api]),
      fleetpulse(['sessions', 'show', DEVICE, 'nope', ...api]),
      fleetpulse(['sessions', 'batch', DEVICE, 'late', '7', ...api]),
      fleetpulse(['sessions', 'batch', DEVICE, 'late', '0', ...api]),
    ]);

    expect(device.code).toBe(1);
    expect(device.stderr).toContain(
      'device no-such-device is not known (`fleetpulse devices list` shows the fleet)',
    );
    expect(session.code).toBe(1);
    expect(session.stderr).toContain(
      `404 session nope of device ${DEVICE} is not known (\`fleetpulse sessions list ${DEVICE}\` shows its sessions)`,
    );
    expect(batch.code).toBe(1);
    expect(batch.stderr).toContain(`404 batch 7 of session late of device ${DEVICE} is not known`);
    expect(seq.code).not.toBe(0);
    expect(seq.stderr).toMatch(/must be a batch sequence number/);
    for (const run of [device, session, batch, seq]) expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses a time that is not one before calling the API', { timeout: 30_000 }, async () => {
    const run = await fleetpulse(['sessions', 'list', DEVICE, '--from', 'yesterday', ...api]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/must be an ISO-8601 time .* or a time ago \(90m, 24h, 7d\)/);
  });
});
