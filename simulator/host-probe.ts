/**
 * Generated machines for the simulated fleet: a seeded mix of Windows and Linux hosts with 0–3
 * interactive sessions that occasionally change state, so dashboards have something to show.
 */

import type { HostProbe, Platform } from '#agent/host.ts';
import type { UserSession } from '#protocol/heartbeat.ts';
import { createRng } from './rng.ts';

/** Seeded uniform [0, 1) source: same seed, same values (one PRNG for the whole simulator). */
export function seededRandom(seed: number): () => number {
  return createRng(seed).next;
}

const USERS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
];
const STATES: UserSession['state'][] = ['active', 'active', 'active', 'idle', 'locked', 'disconnected'];

export function simulatedHost(deviceId: string, seed: number, now: () => number = Date.now): HostProbe {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const platform: Platform = random() < 0.6 ? 'windows' : 'linux';
  const suffix = deviceId.replace(/^sim-/, '');
  const hostname = platform === 'windows' ? `WS-${suffix.toUpperCase()}` : `lnx-${suffix.toLowerCase()}`;
  const count = Math.floor(random() * 4);
  const bootAt = now() - Math.floor(random() * 8 * 3600_000);
  const sessions: UserSession[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    const user = pick(USERS.filter((u) => !used.has(u)));
    used.add(user);
    const id = platform === 'windows' ? `rdp-${i + 1}` : `pts-${i}`;
    sessions.push({ id, user, state: 'active', startedAt: bootAt + Math.floor(random() * 3600_000) });
  }
  return {
    platform,
    hostname,
    sessions: async () => {
      // A session changes state now and then, like a user locking the screen or going idle.
      for (const session of sessions) if (random() < 0.1) session.state = pick(STATES);
      return sessions.map((s) => ({ ...s }));
    },
  };
}
