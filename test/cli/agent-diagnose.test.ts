/**
 * `fleetpulse-agent diagnose` as an admin runs it (bin/fleetpulse-agent.js, a child process):
 * exit 0 when a path connects, 1 when none does, 2 for a bad config or usage; --json follows the
 * report schema; HTTPS_PROXY from the environment is a path.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '#agent/config.ts';
import { DiagnoseReportSchema } from '#agent/diagnose/report.ts';
import { REPO_ROOT } from '#local/cloud.ts';
import { ensureDevCa } from '#local/dev-ca.ts';
import { type AgentFixture, startAgentFixture } from '../agent/tls-broker.ts';
import {
  diagnoseConfigInput,
  type RunningServer,
  startHttpProxy,
  startHttpsDateServer,
  writeAgentJson,
} from '../support/diagnose-fixtures.ts';
import { type CliRun, collectRun, STACK_FRAME } from '../support/fleetpulse-cli.ts';
import { unusedPort } from '../support/ports.ts';

const DEVICE = 'diag-cli-1';

function agentCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const clean = { ...process.env };
  for (const key of [
    'HTTPS_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'http_proxy',
    'ALL_PROXY',
    'all_proxy',
    'NO_PROXY',
    'no_proxy',
  ]) {
    delete clean[key];
  }
  return collectRun(
    spawn(process.execPath, [join(REPO_ROOT, 'bin/fleetpulse-agent.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

let fx: AgentFixture;
let clock: RunningServer;
let proxy: RunningServer;

beforeAll(async () => {
  fx = await startAgentFixture(DEVICE, 'fp-diagnose-cli-');
  [clock, proxy] = await Promise.all([
    startHttpsDateServer(await ensureDevCa(join(fx.dir, 'ca'))),
    startHttpProxy(),
  ]);
});

afterAll(async () => {
  await Promise.all([clock.close(), proxy.close()]);
  await fx.broker.close();
});

const agentJson = (overrides: Partial<AgentConfigInput>, name: string) =>
  writeAgentJson(fx.dir, diagnoseConfigInput(DEVICE, fx.broker.port, clock.port, overrides), name);

describe('fleetpulse-agent diagnose', () => {
  it('exits 0 with a --json report that follows the schema when a path connects', async () => {
    const run = await agentCli(['diagnose', '--config', await agentJson({}, 'ok.json'), '--json']);

    expect(run.code).toBe(0);
    const report = DiagnoseReportSchema.parse(JSON.parse(run.stdout));
    expect(report.usablePath).toBe('direct');
    expect(report.notes.join(' ')).toContain('a running agent on this device is disconnected briefly');
  });

  it('exits 1 with the table and a remedy when no path connects', async () => {
    const port = await unusedPort();
    const run = await agentCli(['diagnose', '-c', await agentJson({ port }, 'dead.json')]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`direct\\s+tcp\\s+fail\\s+nothing listens on 127\\.0\\.0\\.1:${port}`),
    );
    expect(run.stdout).toContain(`remedy: open TCP ${port} to 127.0.0.1 in the firewall`);
    expect(run.stdout).toContain('Result: no path can connect');
  });

  it('checks the proxy HTTPS_PROXY names, first', async () => {
    const run = await agentCli(['diagnose', '--config', await agentJson({}, 'env.json'), '--json'], {
      HTTPS_PROXY: proxy.url,
    });

    const report = DiagnoseReportSchema.parse(JSON.parse(run.stdout));
    expect(report.paths).toEqual([
      { path: `proxy ${proxy.url}`, source: 'env', mqttConnect: true },
      { path: 'direct', source: 'direct', mqttConnect: true },
    ]);
    expect(report.usablePath).toBe(`proxy ${proxy.url}`);
  });

  it('exits 2 with the reason, and no stack trace, for an invalid agent.json', async () => {
    const path = join(fx.dir, 'bad.json');
    await writeFile(path, JSON.stringify({ deviceId: DEVICE, endpoint: 'https://x:1' }));

    const run = await agentCli(['diagnose', '--config', path]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${path} is invalid`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a missing agent.json and for an unknown option', async () => {
    const missing = await agentCli(['diagnose', '--config', join(fx.dir, 'nope.json')]);
    const unknown = await agentCli(['diagnose', '--bogus']);

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });
});
