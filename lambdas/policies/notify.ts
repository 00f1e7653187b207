/**
 * The commands the policy feature sends a device. Their ids are deterministic per version and time
 * window, so the duplicates a device gets while it is stale (one per heartbeat) collapse in the
 * agent's recently-seen list, and a device whose request got lost is asked again in the next window.
 * Ids start with `policy-`: they are notifications, not operator commands (no commands-table entry).
 */
import { type Command, PolicyChangedCommandSchema, PolicyCommandSchema } from '#protocol/commands.ts';
import type { EffectivePolicy } from './effective.ts';

export const POLICY_NOTIFY_WINDOW_MS = 5 * 60_000;

const windowOf = (now: number): number => Math.floor(now / POLICY_NOTIFY_WINDOW_MS);

export function policyChangedCommand(version: number, now: number): Command {
  return PolicyChangedCommandSchema.parse({
    commandId: `policy-changed-v${version}-${windowOf(now)}`,
    type: 'policy-changed',
    issuedAt: now,
    expiresAt: now + POLICY_NOTIFY_WINDOW_MS,
    version,
  });
}

export function policyCommand(effective: EffectivePolicy, now: number): Command {
  return PolicyCommandSchema.parse({
    commandId: `policy-v${effective.version}-${windowOf(now)}`,
    type: 'policy',
    issuedAt: now,
    expiresAt: now + POLICY_NOTIFY_WINDOW_MS,
    policy: effective.document,
  });
}
