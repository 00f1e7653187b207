/**
 * Interactive user sessions on Linux, from systemd-logind: its per-session state files under
 * /run/systemd/sessions (read directly, no D-Bus), and, where `loginctl` answers, the idle and
 * locked hints that the desktop sets. No logind (containers, minimal servers): no session source,
 * which the caller reports once.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SessionState } from '#protocol/analyzer.ts';

const run = promisify(execFile);

export interface LinuxSession {
  readonly id: string;
  readonly uid: number;
  readonly user: string;
  /** x11, wayland, tty, … */
  readonly type: string;
  readonly remote: boolean;
  readonly state: SessionState;
  /** Epoch ms the session began (logind's REALTIME), 0 when not known. */
  readonly startedAt: number;
}

export interface SessionHints {
  readonly idle: boolean;
  readonly locked: boolean;
}

/** KEY=VALUE lines, as logind writes them. */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return values;
}

export function sessionFromStateFile(
  id: string,
  text: string,
  hints?: SessionHints,
): LinuxSession | undefined {
  const v = parseEnvFile(text);
  // Greeters, lock screens and background sessions (cron, systemd --user) are not someone at work.
  if ((v.get('CLASS') ?? 'user') !== 'user') return undefined;
  const uid = Number(v.get('UID'));
  if (!Number.isInteger(uid)) return undefined;
  let state: SessionState = 'active';
  if (v.get('STATE') === 'closing') state = 'disconnected';
  else if (hints?.locked) state = 'locked';
  else if (hints?.idle) state = 'idle';
  return {
    id,
    uid,
    user: v.get('USER') ?? String(uid),
    type: v.get('TYPE') ?? 'unspecified',
    remote: v.get('REMOTE') === '1',
    state,
    startedAt: Math.floor(Number(v.get('REALTIME') ?? 0) / 1000) || 0,
  };
}

/** `loginctl show-session` output for several sessions: blocks separated by blank lines. */
export function parseShowSession(text: string): Map<string, SessionHints> {
  const hints = new Map<string, SessionHints>();
  for (const block of text.split(/\n\s*\n/)) {
    const v = parseEnvFile(block);
    const id = v.get('Id');
    if (id !== undefined)
      hints.set(id, { idle: v.get('IdleHint') === 'yes', locked: v.get('LockedHint') === 'yes' });
  }
  return hints;
}

export async function loginctlHints(ids: readonly string[]): Promise<Map<string, SessionHints>> {
  if (ids.length === 0) return new Map();
  try {
    const { stdout } = await run(
      'loginctl',
      ['show-session', ...ids, '-p', 'Id', '-p', 'IdleHint', '-p', 'LockedHint'],
      { timeout: 2_000 },
    );
    return parseShowSession(stdout);
  } catch {
    return new Map();
  }
}

/**
 * The sessions now, or undefined when this machine has no logind session directory.
 * `hints` defaults to asking loginctl; without hints a session is active or disconnected.
 */
export async function listLogindSessions(
  dir = '/run/systemd/sessions',
  hints: (ids: readonly string[]) => Promise<Map<string, SessionHints>> = loginctlHints,
): Promise<LinuxSession[] | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^[A-Za-z0-9_-]+$/.test(n));
  } catch {
    return undefined;
  }
  const files = await Promise.all(
    names.map(async (id) => ({ id, text: await readFile(join(dir, id), 'utf8').catch(() => undefined) })),
  );
  const present = files.filter((f): f is { id: string; text: string } => f.text !== undefined);
  const known = await hints(present.map((f) => f.id));
  return present
    .map((f) => sessionFromStateFile(f.id, f.text, known.get(f.id)))
    .filter((s): s is LinuxSession => s !== undefined);
}
