/**
 * What the heartbeat says about the machine: platform, host name and interactive user sessions.
 * Behind an interface so a simulated fleet can generate them (simulator/host-probe.ts).
 */
import { hostname, platform } from 'node:os';
import { users } from 'systeminformation';
import type { Heartbeat, UserSession } from '#protocol/heartbeat.ts';
import { SESSION_ID_PATTERN } from '#protocol/ids.ts';

export type Platform = NonNullable<Heartbeat['platform']>;

export interface HostProbe {
  readonly platform: Platform;
  readonly hostname: string;
  sessions(): Promise<UserSession[]>;
}

export function platformOf(nodePlatform: NodeJS.Platform): Platform {
  switch (nodePlatform) {
    case 'linux':
      return 'linux';
    case 'win32':
      return 'windows';
    case 'darwin':
      return 'darwin';
    default:
      return 'other';
  }
}

/** A session id safe for topics and S3 keys, stable for the life of the login. */
export function sessionIdOf(user: string, tty: string): string {
  const raw = `${user}-${tty || 'session'}`
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return SESSION_ID_PATTERN.test(raw) ? raw : 'session';
}

interface LoginRecord {
  user: string;
  tty: string;
  date: string;
  time: string;
}

export function sessionsFromLogins(logins: readonly LoginRecord[]): UserSession[] {
  const seen = new Set<string>();
  const sessions: UserSession[] = [];
  for (const login of logins) {
    if (!login.user) continue;
    let id = sessionIdOf(login.user, login.tty);
    for (let n = 2; seen.has(id); n++) id = `${sessionIdOf(login.user, login.tty).slice(0, 60)}-${n}`;
    seen.add(id);
    const started = Date.parse(`${login.date}T${login.time}`);
    sessions.push({
      id,
      user: login.user.slice(0, 256),
      state: 'active',
      ...(Number.isFinite(started) && started > 0 ? { startedAt: started } : {}),
    });
    if (sessions.length >= 256) break;
  }
  return sessions;
}

/** The machine the agent runs on; sessions from systeminformation (who / query user). */
export function localHost(): HostProbe {
  return {
    platform: platformOf(platform()),
    hostname: hostname(),
    sessions: async () => sessionsFromLogins(await users()),
  };
}
