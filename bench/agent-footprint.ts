/**
 * `npm run bench:agent-footprint [-- --minutes 10 --warmup 120 --runner bundle|tsx --flags="..."]`:
 * the agent as IT deploys it (the bundle, plain `node`, the flags of the systemd unit) against the
 * local cloud, with 3 analyzer sessions at the policy's intervals (sample 15 s, upload 5 min,
 * heartbeat 60 s, inventory 15 min). Every second it reads the agent's VmRSS and CPU time from
 * procfs; it reports RSS (median, max) and average CPU after the warm-up against the targets, and
 * writes bench/results/agent-footprint.json.
 *
 * `--runner tsx` runs the TypeScript sources under tsx instead (the figure before the bundle);
 * `--flags=` runs without the Node flags; `--log <file>` keeps the agent's log.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_ENTRY, buildAgentBundle, PROJECT_ROOT } from '#agent/packaging/bundle.ts';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '#agent/packaging/node-flags.ts';
import { registerLocal } from '#cli/register.ts';
import { startLocalCloud } from '#local/cloud.ts';
import { spawnGroup } from '../test/support/process-group.ts';
import { writeLogindSessions } from './logind-sessions.ts';
import { type ProcReading, readProc, summarize } from './proc-sampler.ts';

const TARGET_RSS_MB = 70;
const TARGET_CPU_PERCENT = 1;
const SESSIONS = 3;
const DEVICE_ID = 'footprint-agent';
const RESULTS_FILE = join(import.meta.dirname, 'results', 'agent-footprint.json');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '120' },
    runner: { type: 'string', default: 'bundle' },
    flags: { type: 'string' },
    out: { type: 'string', default: RESULTS_FILE },
    /** Where to keep the agent's own log (JSON lines on stderr). */
    log: { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const warmupSec = Number(args.warmup);
if (!(minutes > 0) || !(warmupSec >= 0) || warmupSec >= minutes * 60)
  throw new Error('--minutes must be > 0 and --warmup (seconds) shorter than the run');
if (args.runner !== 'bundle' && args.runner !== 'tsx') throw new Error('--runner is bundle or tsx');
const nodeFlags = args.flags === undefined ? [...AGENT_NODE_FLAGS] : args.flags.split(/\s+/).filter(Boolean);

const work = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-footprint-'));
const cloud = await startLocalCloud({
  dataDir: join(work, 'cloud'),
  log: 'silent',
  ports: { mqtt: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 },
  writeEndpointsFile: true,
  lambdaWorkers: 1,
});

// biome-ignore lint/suspicious/noExplicitAny: the bench reads a few fields of known answers
async function api(path: string): Promise<any> {
  const res = await fetch(`${cloud.endpoints.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${cloud.endpoints.apiToken}` },
  });
  return res.json();
}

const published = { heartbeat: 0, report: 0, analyzer: 0 };
cloud.onDevicePublish(({ topic }) => {
  if (topic.endsWith('/heartbeat')) published.heartbeat++;
  else if (topic.endsWith('/report')) published.report++;
  else if (topic.includes('/analyzer/')) published.analyzer++;
});

try {
  // The bundle alone in an empty folder, as it is installed.
  let command: string[];
  if (args.runner === 'bundle') {
    const built = await buildAgentBundle(join(work, 'build'));
    mkdirSync(join(work, 'install'));
    copyFileSync(built.file, join(work, 'install', 'fleetpulse-agent.mjs'));
    command = [...nodeFlags, join(work, 'install', 'fleetpulse-agent.mjs')];
  } else {
    command = [...nodeFlags, '--import', 'tsx', AGENT_ENTRY];
  }
  const deviceDir = join(work, 'device');
  const registered = await registerLocal({
    deviceId: DEVICE_ID,
    out: deviceDir,
    localCloudDir: join(work, 'cloud'),
    region: 'local',
    force: false,
  });
  await writeLogindSessions(join(deviceDir, 'sessions'), SESSIONS);
  writeFileSync(
    join(deviceDir, 'agent.json'),
    JSON.stringify({ ...registered.config, logLevel: 'info', analyzerSessionsDir: 'sessions' }, null, 2),
  );

  const agent = spawnGroup(process.execPath, [...command, 'run', '--config', join(deviceDir, 'agent.json')], {
    cwd: args.runner === 'bundle' ? join(work, 'install') : PROJECT_ROOT,
    env: { ...AGENT_ENV },
  });
  const pid = agent.child.pid;
  if (pid === undefined) throw new Error('the agent did not start');
  console.log(
    `agent footprint: ${args.runner} with ${nodeFlags.join(' ') || 'no flags'} ` +
      `(${Object.entries(AGENT_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}), ${SESSIONS} sessions, ` +
      `${minutes} min (warm-up ${warmupSec} s)`,
  );
  const started = performance.now();
  const readings: ProcReading[] = [];
  const endAt = started + minutes * 60_000;
  let lastPrint = 0;
  while (performance.now() < endAt) {
    if (agent.child.exitCode !== null) throw new Error(`the agent exited:\n${agent.output()}`);
    const reading = readProc(pid, performance.now() - started);
    readings.push(reading);
    if (reading.atMs - lastPrint >= 60_000) {
      lastPrint = reading.atMs;
      console.log(`  ${Math.round(reading.atMs / 1000)} s: RSS ${(reading.rssKiB / 1024).toFixed(1)} MB`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const device = await api(`/devices/${DEVICE_ID}`);
  const sessions = await api(`/devices/${DEVICE_ID}/sessions`);
  agent.signal('SIGTERM');
  await agent.exited;
  if (args.log !== undefined) writeFileSync(args.log, agent.output());

  const steady = summarize(readings, warmupSec * 1000);
  const whole = summarize(readings, 0);
  const rssOk = steady.rssMaxMB <= TARGET_RSS_MB;
  const cpuOk = steady.cpuPercent <= TARGET_CPU_PERCENT;
  console.log(
    [
      `steady state (after ${warmupSec} s, ${steady.seconds} s): RSS median ${steady.rssMedianMB} MB, ` +
        `max ${steady.rssMaxMB} MB (target <= ${TARGET_RSS_MB}: ${rssOk ? 'met' : 'MISSED'}); ` +
        `CPU ${steady.cpuPercent} % of one core (target <= ${TARGET_CPU_PERCENT}: ${cpuOk ? 'met' : 'MISSED'})`,
      `whole run: RSS max ${whole.rssMaxMB} MB, CPU ${whole.cpuPercent} %`,
      `cloud saw: ${published.heartbeat} heartbeats, ${published.report} reports, ${published.analyzer} analyzer batches; ` +
        `device ${device?.status}, ${sessions?.items?.length ?? 0} analyzer sessions`,
    ].join('\n'),
  );
  mkdirSync(join(args.out, '..'), { recursive: true });
  writeFileSync(
    args.out,
    `${JSON.stringify(
      {
        generatedBy: 'npm run bench:agent-footprint',
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
        runner: args.runner,
        nodeFlags,
        env: AGENT_ENV,
        sessions: SESSIONS,
        minutes,
        warmupSec,
        targets: { rssMB: TARGET_RSS_MB, cpuPercent: TARGET_CPU_PERCENT },
        steady,
        whole,
        met: { rss: rssOk, cpu: cpuOk },
        cloud: { published, status: device?.status, sessions: sessions?.items?.length ?? 0 },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`figures written to ${args.out}`);
} finally {
  await cloud.stop();
  rmSync(work, { recursive: true, force: true });
}
