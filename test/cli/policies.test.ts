/**
 * `fleetpulse policies put|assign|show|list` as a person runs them against the real local cloud:
 * a document from a file or stdin, tables for people, JSON for scripts, and a clear message with a
 * non-zero exit for bad documents, unknown policies and assignments to nothing.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { collectRun, fleetpulse, STACK_FRAME } from '../support/fleetpulse-cli.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DEVICE = 'cli-pol-1';
let t: TestCloud;
let api: string[];

/** The CLI with `input` on its stdin. */
function fleetpulseWithStdin(args: readonly string[], input: string) {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/fleetpulse.js'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(input);
  return collectRun(child);
}

beforeAll(async () => {
  t = await startTestCloud();
  api = ['--api-url', t.endpoints.apiUrl, '--token', t.endpoints.apiToken];
  const device = await t.deviceClient(DEVICE);
  await device.publishAsync(basicIngestTopic(topics.heartbeat(DEVICE)), JSON.stringify(validHeartbeat()), {
    qos: 1,
  });
  await waitFor(
    async () =>
      (
        await fetch(`${t.endpoints.apiUrl}/devices/${DEVICE}`, {
          headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
        })
      ).ok,
    { timeoutMs: 10_000, what: 'the device record' },
  );
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('fleetpulse policies', () => {
  it('stores versions from a file and from stdin, assigns, shows and lists', {
    timeout: 60_000,
  }, async () => {
    const file = join(t.dataDir, 'lab.json');
    await writeFile(file, JSON.stringify({ heartbeatIntervalSec: 120, analyzer: { enabled: false } }));

    const first = await fleetpulse(['policies', 'put', 'lab', '--file', file, ...api]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^stored policy lab version 1: heartbeat 120s, inventory 900s, analyzer off, no proxy$/m,
    );
    const second = await fleetpulseWithStdin(
      ['policies', 'put', 'lab', '--file', '-', '--json', ...api],
      '{"inventoryIntervalSec": 3600}',
    );
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      policyId: 'lab',
      version: 2,
      document: { version: 2, inventoryIntervalSec: 3600, heartbeatIntervalSec: 60 },
    });

    const assign = await fleetpulse([
      'policies',
      'assign',
      'lab',
      '--device',
      DEVICE,
      '--group',
      'lab',
      ...api,
    ]);
    expect(assign.code, assign.stderr).toBe(0);
    expect(assign.stdout).toMatch(/^policy lab version 2 assigned to devices cli-pol-1; groups lab$/m);

    const show = await fleetpulse(['policies', 'show', 'lab', ...api]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^assigned {3}devices cli-pol-1; groups lab$/m);
    expect(show.stdout).toMatch(/^devices {4}1 assigned$/m);
    const lines = show.stdout.split('\n');
    const header = lines.findIndex((l) => /^VERSION\s+CREATED\s+RUNNING\s+SETTINGS$/.test(l));
    expect(lines[header + 2]).toMatch(
      /^2\s+\d{4}-\d\d-\d\dT[\d:]+Z \(\d+s ago\)\s+0\s+heartbeat 60s, inventory 3600s/,
    );
    expect(lines[header + 3]).toMatch(/^1\s.*\s0\s+heartbeat 120s/);
    const shown = await fleetpulse(['policies', 'show', 'lab', '--json', ...api]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ latestVersion: 2, devicesAssigned: 1 });

    const list = await fleetpulse(['policies', 'list', ...api]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^POLICY\s+LATEST\s+UPDATED\s+DEVICES\s+ON LATEST\s+ASSIGNED TO$/,
    );
    expect(list.stdout).toMatch(/^lab\s+2\s+\d+s ago\s+1\s+0\s+devices cli-pol-1; groups lab$/m);
    const listed = await fleetpulse(['policies', 'list', '--json', ...api]);
    expect((JSON.parse(listed.stdout) as Array<{ policyId: string }>).map((p) => p.policyId)).toEqual([
      'lab',
    ]);
  });

  it('says what is wrong, with a non-zero exit and no stack trace', { timeout: 60_000 }, async () => {
    const bad = join(t.dataDir, 'bad.json');
    await writeFile(bad, JSON.stringify({ heartbeatIntervalSec: 1 }));
    const [outOfRange, notJson, nothing, unknown, badId] = await Promise.all([
      fleetpulse(['policies', 'put', 'lab', '--file', bad, ...api]),
      fleetpulseWithStdin(['policies', 'put', 'lab', '--file', '-', ...api], '{"heartbeat'),
      fleetpulse(['policies', 'assign', 'lab', ...api]),
      fleetpulse(['policies', 'show', 'nope', ...api]),
      fleetpulse(['policies', 'show', 'Bad_Id', ...api]),
    ]);
    for (const run of [outOfRange, notJson, nothing, unknown, badId]) {
      expect(run.code).not.toBe(0);
      expect(run.stderr).not.toMatch(STACK_FRAME);
    }
    expect(outOfRange.stderr).toMatch(/^fleetpulse: 400 invalid body: .*heartbeatIntervalSec/m);
    expect(notJson.stderr).toMatch(/^fleetpulse: stdin is not valid JSON/m);
    expect(nothing.stderr).toMatch(/nothing to assign to: give --device, --group or --default/);
    expect(unknown.stderr).toMatch(/^fleetpulse: 404 policy nope does not exist/m);
    expect(badId.stderr).toMatch(/must be 1-63 characters of a-z 0-9 -/);
  });
});
