/**
 * Whether a device is online, from the facts we store. Pure, so the API and tests agree.
 *
 * A device is online when we heard from it (heartbeat or connect) within the grace period and its
 * last disconnect is older than that. Timestamps, not processing order, decide: a disconnect event
 * processed before a heartbeat that was received earlier still wins.
 */
export interface PresenceFacts {
  readonly lastHeartbeatAt?: number;
  readonly lastConnectedAt?: number;
  readonly lastDisconnectedAt?: number;
}

export type DeviceStatus = 'online' | 'offline';

export function lastSeenAt(facts: PresenceFacts): number | undefined {
  const seen = [facts.lastHeartbeatAt, facts.lastConnectedAt].filter((t): t is number => t !== undefined);
  return seen.length > 0 ? Math.max(...seen) : undefined;
}

export function deviceStatus(facts: PresenceFacts, now: number, graceMs: number): DeviceStatus {
  const seen = lastSeenAt(facts);
  if (seen === undefined) return 'offline';
  if ((facts.lastDisconnectedAt ?? -1) >= seen) return 'offline';
  return now - seen <= graceMs ? 'online' : 'offline';
}
