/** The operator CLI as a person runs it (bin/fleetpulse.js), with no API configured in the environment. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '#local/cloud.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const STACK_FRAME = /^\s+at .+:\d+/m;

export function collectRun(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnFleetpulse(args: readonly string[]): ChildProcess {
  const env = { ...process.env };
  delete env.FLEETPULSE_API_URL;
  delete env.FLEETPULSE_API_TOKEN;
  return spawn(process.execPath, [join(REPO_ROOT, 'bin/fleetpulse.js'), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export const fleetpulse = (args: readonly string[]): Promise<CliRun> => collectRun(spawnFleetpulse(args));
