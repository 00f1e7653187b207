/**
 * The operator CLI with bad flags and bad endpoints: it exits non-zero with one actionable line,
 * never a stack trace, and never hangs.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from '#local/cloud.ts';
import { unusedPort } from '../support/ports.ts';
import type { AdversarialContext } from './context.ts';
import { type Kind, kind } from './kind.ts';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function fleetpulse(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'cli/fleetpulse.ts'), ...args],
      {
        cwd: REPO_ROOT,
        timeout: 30_000,
        env: { ...process.env, FLEETPULSE_API_URL: '', FLEETPULSE_API_TOKEN: '' },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function fails(
  name: string,
  args: (ctx: AdversarialContext) => Promise<string[]> | string[],
  message: RegExp,
): Kind {
  return kind('cli', name, async (ctx) => {
    const run = await fleetpulse(await args(ctx));
    expect(run.code, `exit code (stderr: ${run.stderr.slice(0, 300)})`).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stderr, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
}

const target = (ctx: AdversarialContext): string[] => [
  '--api-url',
  ctx.t.endpoints.apiUrl,
  '--token',
  ctx.t.endpoints.apiToken,
];

export const cliKinds: Kind[] = [
  fails('unknown flag', () => ['devices', 'list', '--bogus'], /unknown option '--bogus'/),
  fails('unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/),
  fails(
    'bad --status value',
    (ctx) => ['devices', 'list', '--status', 'weird', ...target(ctx)],
    /Allowed choices are online, offline/,
  ),
  fails(
    'bad device id argument',
    (ctx) => ['devices', 'get', 'bad id!', ...target(ctx)],
    /must be 1-128 characters/,
  ),
  fails(
    'unreachable API endpoint',
    async () => ['devices', 'list', '--api-url', `http://127.0.0.1:${await unusedPort()}`, '--token', 'x'],
    /cannot reach the operator API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check --api-url/,
  ),
  fails(
    'no API configured and no local cloud',
    () => ['devices', 'list', '--local-cloud', '/nonexistent-fleetpulse'],
    /no operator API given and no local cloud found/,
  ),
  fails(
    'wrong token',
    (ctx) => ['devices', 'list', '--api-url', ctx.t.endpoints.apiUrl, '--token', 'wrong'],
    /401 Unauthorized/,
  ),
  fails('unknown device', (ctx) => ['devices', 'get', 'no-such-device-here', ...target(ctx)], /404/),
];
