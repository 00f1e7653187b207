/**
 * A local cloud in a child process of its own process group, so a test can kill -9 the whole group
 * mid-stream and start it again on the same data dir and ports — what `npm start` faces on a crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalCloudEndpoints, LocalCloudPorts } from '#local/cloud.ts';
import { REPO_ROOT } from '#local/cloud.ts';
import { unusedPort } from './ports.ts';

export interface ChildCloud {
  readonly endpoints: LocalCloudEndpoints;
  readonly caPem: string;
  /** SIGKILL to the whole process group; resolves once the child is gone. */
  kill9(): Promise<void>;
  /** Starts the cloud again on the same data dir and ports. */
  restart(): Promise<void>;
  /** SIGTERM (clean stop), then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

const freePorts = async (): Promise<LocalCloudPorts> => ({
  mqtt: await unusedPort(),
  mqttAlpn: await unusedPort(),
  api: await unusedPort(),
  dynamodb: await unusedPort(),
  sqsS3: await unusedPort(),
  iotData: await unusedPort(),
});

export async function startChildCloud(options: { dataDir: string; throwOn?: string }): Promise<ChildCloud> {
  let ports = await freePorts();
  let child: ChildProcess | undefined;
  let started: { endpoints: LocalCloudEndpoints; ca: string } | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'test/support/child-cloud-main.ts'),
        JSON.stringify({ ...options, ports }),
      ],
      { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    started = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
      lines.once('line', (line) => resolve(JSON.parse(line)));
      proc.once('exit', (code) =>
        reject(new Error(`child cloud exited (${code}) before starting: ${stderr}`)),
      );
      setTimeout(() => reject(new Error(`child cloud did not start within 60 s: ${stderr}`)), 60_000).unref();
    });
  };
  const gone = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()));

  // A port found free may be taken by another test's process before the child binds it: then the
  // first start is tried again on other ports (a restart keeps the ports, as npm start does).
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
      ports = await freePorts();
    }
  }
  return {
    get endpoints() {
      return (started as { endpoints: LocalCloudEndpoints }).endpoints;
    },
    get caPem() {
      return (started as { ca: string }).ca;
    },
    async kill9() {
      const proc = child;
      if (!proc?.pid) return;
      process.kill(-proc.pid, 'SIGKILL');
      await gone(proc);
    },
    restart: launch,
    async stop() {
      const proc = child;
      if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
      process.kill(-proc.pid, 'SIGTERM');
      const timer = setTimeout(() => proc.pid && process.kill(-proc.pid, 'SIGKILL'), 15_000);
      await gone(proc);
      clearTimeout(timer);
    },
  };
}
