import { describe, expect, it } from 'vitest';
import { deviceStatus, lastSeenAt } from '#lambdas/devices/presence.ts';

const GRACE = 180_000;
const NOW = 1_800_000_000_000;

describe('deviceStatus', () => {
  it('is online when a heartbeat arrived within the grace period', () => {
    expect(deviceStatus({ lastHeartbeatAt: NOW - 60_000 }, NOW, GRACE)).toBe('online');
  });

  it('is offline once heartbeats stop for longer than the grace period, even without a disconnect event', () => {
    expect(
      deviceStatus({ lastHeartbeatAt: NOW - GRACE - 1, lastConnectedAt: NOW - GRACE - 5 }, NOW, GRACE),
    ).toBe('offline');
  });

  it('is offline right after a disconnect newer than the last heartbeat', () => {
    expect(
      deviceStatus(
        { lastHeartbeatAt: NOW - 10_000, lastConnectedAt: NOW - 50_000, lastDisconnectedAt: NOW - 5_000 },
        NOW,
        GRACE,
      ),
    ).toBe('offline');
  });

  it('lets timestamps, not processing order, decide: a reconnect after a disconnect is online', () => {
    expect(deviceStatus({ lastConnectedAt: NOW - 1_000, lastDisconnectedAt: NOW - 2_000 }, NOW, GRACE)).toBe(
      'online',
    );
  });

  it('is offline for a device never heard from', () => {
    expect(deviceStatus({}, NOW, GRACE)).toBe('offline');
  });
});

describe('lastSeenAt', () => {
  it('takes the newest of heartbeat and connect', () => {
    expect(lastSeenAt({ lastHeartbeatAt: 5, lastConnectedAt: 9 })).toBe(9);
    expect(lastSeenAt({ lastHeartbeatAt: 12, lastConnectedAt: 9 })).toBe(12);
    expect(lastSeenAt({})).toBeUndefined();
  });
});
