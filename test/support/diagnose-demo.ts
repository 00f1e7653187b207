/**
 * Runs `fleetpulse-agent diagnose` (the real CLI, as a child process) against real servers on
 * 127.0.0.1, and prints what an admin sees, for the README: a working path through a proxy, a dead
 * proxy, and a proxy that intercepts TLS. Every run of it is fresh (new CA, new ports).
 *
 *   npm run diagnose:demo
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '#local/cloud.ts';
import { ensureDevCa } from '#local/dev-ca.ts';
import { startAgentFixture } from '../agent/tls-broker.ts';
import {
  foreignCa,
  startHttpProxy,
  startHttpsDateServer,
  startInterceptingProxy,
  writeAgentJson,
} from './diagnose-fixtures.ts';
import { collectRun } from './fleetpulse-cli.ts';
import { unusedPort } from './ports.ts';

const DEVICE = 'pc-0042';
const fx = await startAgentFixture(DEVICE, 'fp-diagnose-demo-');
const [clock, proxy, intercepting] = await Promise.all([
  startHttpsDateServer(await ensureDevCa(join(fx.dir, 'ca'))),
  startHttpProxy(),
  foreignCa().then(startInterceptingProxy),
]);
const deadProxy = `http://127.0.0.1:${await unusedPort()}`;
/** Where nothing listens: the firewall lets only the proxy out. */
const blockedPort = await unusedPort();

const scenarios: { title: string; file: string; proxies: { url: string }[]; port?: number }[] = [
  { title: 'A working path (through a proxy)', file: 'working.json', proxies: [{ url: proxy.url }] },
  { title: 'A dead proxy', file: 'dead-proxy.json', proxies: [{ url: deadProxy }] },
  {
    title: 'A proxy that intercepts TLS, and direct blocked',
    file: 'intercepting.json',
    proxies: [{ url: intercepting.url }],
    port: blockedPort,
  },
];

try {
  for (const scenario of scenarios) {
    await writeAgentJson(
      fx.dir,
      {
        deviceId: DEVICE,
        region: 'local',
        endpoint: '127.0.0.1',
        port: scenario.port ?? fx.broker.port,
        httpsPort: clock.port,
        certPath: 'cert.pem',
        keyPath: 'key.pem',
        caPath: 'ca/ca.pem',
        dataDir: 'data',
        proxies: scenario.proxies,
      },
      scenario.file,
    );
    const env = { ...process.env };
    for (const key of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete env[key];
    const run = await collectRun(
      spawn(
        process.execPath,
        [join(REPO_ROOT, 'bin/fleetpulse-agent.js'), 'diagnose', '--config', scenario.file],
        {
          cwd: fx.dir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    process.stdout.write(
      `#### ${scenario.title}\n\n\`\`\`console\n$ fleetpulse-agent diagnose --config ${scenario.file}\n${run.stdout}${run.stderr}$ echo $?\n${run.code}\n\`\`\`\n\n`,
    );
  }
} finally {
  await Promise.all([clock.close(), proxy.close(), intercepting.close()]);
  await fx.broker.close();
}
