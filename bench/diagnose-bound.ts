/**
 * The worst network diagnose meets, measured: every path gets as far as it can and then hangs
 * (proxies that tunnel to a broker that completes TLS and never answers MQTT, so every MQTT CONNECT
 * waits its full timeout, one path at a time; a proxy that never answers CONNECT; an HTTPS port that
 * never answers TLS). The run must end within 40 s, process start-up included.
 *
 *   npm run bench:diagnose      (writes bench/results/diagnose-bound.json)
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { type DiagnoseReport, DiagnoseReportSchema } from '#agent/diagnose/report.ts';
import { REPO_ROOT } from '#local/cloud.ts';
import { ensureDevCa, issueServerCert } from '#local/dev-ca.ts';
import { startAgentFixture } from '../test/agent/tls-broker.ts';
import { startHttpProxy, startSilentServer, writeAgentJson } from '../test/support/diagnose-fixtures.ts';
import { collectRun } from '../test/support/fleetpulse-cli.ts';

const LIMIT_MS = 40_000;
const DEVICE = 'bench-diag-1';

const fx = await startAgentFixture(DEVICE, 'fp-diagnose-bench-');
const ca = await ensureDevCa(join(fx.dir, 'ca'));
const serverCert = await issueServerCert(ca);
// Completes mutual TLS, then reads CONNECT and never answers it.
const mute = createServer(
  { cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, requestCert: true },
  (s) => s.resume(),
);
await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
const mutePort = (mute.address() as { port: number }).port;
const proxies = await Promise.all([startHttpProxy(), startHttpProxy(), startHttpProxy(), startHttpProxy()]);
const silent = await startSilentServer();

const config = await writeAgentJson(fx.dir, {
  deviceId: DEVICE,
  region: 'local',
  endpoint: '127.0.0.1',
  port: mutePort,
  httpsPort: silent.port,
  certPath: 'cert.pem',
  keyPath: 'key.pem',
  caPath: 'ca/ca.pem',
  dataDir: 'data',
  proxies: [...proxies.map((p) => ({ url: p.url })), { url: silent.url }],
});

try {
  const started = Date.now();
  const run = await collectRun(
    spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin/fleetpulse-agent.js'), 'diagnose', '--config', config, '--json'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  const wallMs = Date.now() - started;
  const report: DiagnoseReport = DiagnoseReportSchema.parse(JSON.parse(run.stdout));
  const result = {
    measuredAt: new Date().toISOString(),
    paths: report.paths.length,
    exitCode: run.code,
    wallMs,
    reportDurationMs: report.durationMs,
    limitMs: LIMIT_MS,
    withinLimit: wallMs <= LIMIT_MS,
    checksTimedOut: report.rows.filter((r) => r.result === 'fail' && /within \d+ ms/.test(r.detail)).length,
    checksSkippedForTime: report.rows.filter((r) => r.detail.includes('time budget')).length,
  };
  await mkdir(join(REPO_ROOT, 'bench/results'), { recursive: true });
  await writeFile(
    join(REPO_ROOT, 'bench/results/diagnose-bound.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(result);
  if (!result.withinLimit) process.exitCode = 1;
} finally {
  await Promise.all([...proxies, silent].map((s) => s.close()));
  mute.close();
  await fx.broker.close();
}
