/** A heartbeat as an agent sends it, for tests that need a device to have been heard. */
import { type Heartbeat, HeartbeatSchema } from '#protocol/heartbeat.ts';

export const validHeartbeat = (overrides: Partial<Heartbeat> = {}): Heartbeat =>
  HeartbeatSchema.parse({
    schema: 1,
    agentVersion: '9.9.9',
    uptimeSec: 42,
    reportSeq: 0,
    policyVersion: 0,
    sessions: [],
    connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: 12 },
    platform: 'linux',
    sentAt: Date.now(),
    ...overrides,
  });
