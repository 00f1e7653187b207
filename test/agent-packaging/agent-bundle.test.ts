/**
 * The agent bundle as IT installs it: one file, copied alone into an empty folder outside the
 * repository, run by plain `node`, connects over mutual TLS and heartbeats.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_BUNDLE_FILE,
  agentBuildOptions,
  type BuiltAgent,
  buildAgentBundle,
  cloudOnlyInputs,
  MAX_AGENT_BUNDLE_BYTES,
  PROJECT_ROOT,
} from '#agent/packaging/bundle.ts';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '#agent/packaging/node-flags.ts';
import { writeLogindSessions } from '#bench/logind-sessions.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { type AgentFixture, startAgentFixture } from '../agent/tls-broker.ts';
import { spawnGroup } from '../support/process-group.ts';

const run = promisify(execFile);
const DEVICE = 'bundle-agent-1';

const pkgVersion = (): string =>
  (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** agent.json for the fixture's folder (startAgentFixture writes the identity there). */
const agentJson = (port: number) => ({
  deviceId: DEVICE,
  region: 'local',
  endpoint: '127.0.0.1',
  port,
  certPath: 'cert.pem',
  keyPath: 'key.pem',
  caPath: 'ca/ca.pem',
  dataDir: 'data',
});

let work: string;
let built: BuiltAgent;
/** The bundle alone in an empty folder. */
let installed: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fleetpulse-agent-bundle-'));
  built = await buildAgentBundle(join(work, 'build'));
  await mkdir(join(work, 'install'));
  installed = join(work, 'install', AGENT_BUNDLE_FILE);
  await copyFile(built.file, installed);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the agent bundle', () => {
  it('holds the agent and none of the cloud side, within its size budget', () => {
    const inputs = Object.keys(built.metafile.inputs);
    expect(inputs.some((p) => p.includes('node_modules/mqtt/'))).toBe(true);
    expect(inputs.some((p) => p.endsWith('agent/agent.ts'))).toBe(true);
    expect(cloudOnlyInputs(inputs)).toEqual([]);
    expect(built.bytes).toBeLessThanOrEqual(MAX_AGENT_BUNDLE_BYTES);
  });

  it('carries PAC support with the QuickJS wasm embedded instead of read from node_modules', () => {
    const inputs = Object.keys(built.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('agent/transport/pac/index.ts'))).toBe(true);
    expect(inputs.some((p) => p.startsWith('embedded-quickjs-wasm:'))).toBe(true);
    const fromDisk = inputs.filter((p) => !p.startsWith('embedded-quickjs-wasm:'));
    expect(fromDisk.some((p) => p.endsWith('agent/transport/pac/quickjs-wasm.ts'))).toBe(false);
  });

  it('prints the package version with plain node', async () => {
    const { stdout } = await run(process.execPath, [installed, '--version'], { cwd: join(work, 'install') });
    expect(stdout.trim()).toBe(pkgVersion());
  });

  describe('against a mutual-TLS broker', () => {
    let fixture: AgentFixture;

    beforeAll(async () => {
      fixture = await startAgentFixture(DEVICE, 'fleetpulse-agent-bundle-broker-');
    });

    afterAll(async () => {
      await fixture.broker.close();
      await rm(fixture.dir, { recursive: true, force: true });
    });

    it('runs diagnose: every check of the direct path passes and it exits 0', async () => {
      await writeFile(join(fixture.dir, 'diagnose.json'), JSON.stringify(agentJson(fixture.broker.port)));

      const { stdout } = await run(
        process.execPath,
        [installed, 'diagnose', '--json', '--config', join(fixture.dir, 'diagnose.json')],
        { cwd: join(work, 'install') },
      );

      expect(stdout).toContain('mqtt-connect');
    });

    it('connects, heartbeats, analyzes the sessions of analyzerSessionsDir and stops on SIGTERM, under plain node', async () => {
      await writeLogindSessions(join(fixture.dir, 'sessions'), 3);
      await writeFile(
        join(fixture.dir, 'agent.json'),
        JSON.stringify({
          ...agentJson(fixture.broker.port),
          heartbeatIntervalSec: 1,
          analyzerSessionsDir: 'sessions',
        }),
      );
      const heartbeatTopic = basicIngestTopic(topics.heartbeat(DEVICE));
      const first = fixture.broker.nextPublish(heartbeatTopic);

      const agent = spawnGroup(
        process.execPath,
        [...AGENT_NODE_FLAGS, installed, 'run', '--config', join(fixture.dir, 'agent.json')],
        { cwd: join(work, 'install'), env: { ...AGENT_ENV } },
      );
      const heartbeat = HeartbeatSchema.parse(JSON.parse((await first).payload.toString('utf8')));
      // The analyzer's first round is one sample interval (policy default 15 s) after the start.
      let analyzed = heartbeat;
      while ((analyzed.analyzer?.sessions ?? 0) === 0) {
        const next = await fixture.broker.nextPublish(heartbeatTopic);
        analyzed = HeartbeatSchema.parse(JSON.parse(next.payload.toString('utf8')));
      }
      agent.signal('SIGTERM');
      const exited = await agent.exited;

      expect(heartbeat.agentVersion).toBe(pkgVersion());
      expect(agent.output()).toContain('"connected"');
      expect(analyzed.analyzer).toMatchObject({ sessions: 3, restarts: 0 });
      expect(exited).toEqual({ code: 0, signal: null });
    }, 45_000);
  });
});

describe('the embedded QuickJS wasm', () => {
  it('replaces the PAC wasm loader with one that returns the bytes from inside the bundle', async () => {
    // A stand-in for PAC support, importing the loader as agent/transport/pac/index.ts does.
    const src = join(work, 'wasm-src');
    await mkdir(join(src, 'transport', 'pac'), { recursive: true });
    await writeFile(
      join(src, 'transport', 'pac', 'index.ts'),
      "export { loadQuickJsWasm } from './quickjs-wasm.ts';\n",
    );
    await writeFile(
      join(src, 'entry.ts'),
      [
        "const { loadQuickJsWasm } = await import('./transport/pac/index.ts');",
        'const bytes = await loadQuickJsWasm();',
        "console.log(bytes.length, Buffer.from(bytes.subarray(0, 4)).toString('hex'));",
      ].join('\n'),
    );
    const out = join(work, 'wasm-out', 'entry.mjs');
    await build(agentBuildOptions(out, join(src, 'entry.ts')));
    const alone = join(work, 'wasm-alone');
    await mkdir(alone);
    await copyFile(out, join(alone, 'entry.mjs'));

    // Under the service's heap limit: decoding the bytes must not take the agent's whole heap.
    const { stdout } = await run(process.execPath, [...AGENT_NODE_FLAGS, join(alone, 'entry.mjs')], {
      cwd: alone,
    });

    const wasm = await readFile(join(PROJECT_ROOT, 'node_modules', 'quickjs-wasi', 'quickjs.wasm'));
    expect(stdout.trim()).toBe(`${wasm.length} 0061736d`);
  });
});

describe('the systemd unit', () => {
  it('runs the bundle with the flags and environment the footprint bench measured', async () => {
    const unit = await readFile(join(PROJECT_ROOT, 'agent/packaging/linux/fleetpulse-agent.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    const environment = [...unit.matchAll(/^Environment=(.*)$/gm)].map((m) => m[1]);
    expect(environment).toEqual(
      expect.arrayContaining(Object.entries(AGENT_ENV).map(([k, v]) => `${k}=${v}`)),
    );
    expect(execStart).toBe(
      `/usr/bin/node ${AGENT_NODE_FLAGS.join(' ')} /opt/fleetpulse/${AGENT_BUNDLE_FILE} run --config /etc/fleetpulse/agent.json`,
    );
  });
});
