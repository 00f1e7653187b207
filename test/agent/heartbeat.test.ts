import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildHeartbeat, type HeartbeatFacts, HeartbeatLoop, mergeContributions } from '#agent/heartbeat.ts';
import { sessionIdOf, sessionsFromLogins } from '#agent/host.ts';
import { silentLogger } from '#agent/logger.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { simulatedHost } from '#simulator/host-probe.ts';

const facts = (): HeartbeatFacts => ({
  agentVersion: '0.1.0',
  startedAt: 1_700_000_000_000,
  now: 1_700_000_090_500,
  sessions: [{ id: 'pts-0', user: 'alice', state: 'active' }],
  connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: 12.5 },
  platform: 'linux',
  hostname: 'lnx-0001',
});

describe('heartbeat building', () => {
  it('produces a message that satisfies the protocol schema', () => {
    const heartbeat = buildHeartbeat(facts(), { policyVersion: 4, reportSeq: 17, reportEpoch: 'e-1' });

    expect(HeartbeatSchema.safeParse(heartbeat).success).toBe(true);
    expect(heartbeat).toMatchObject({
      schema: 1,
      uptimeSec: 90,
      reportSeq: 17,
      reportEpoch: 'e-1',
      sentAt: facts().now,
    });
  });

  it('reports sequence 0 and no epoch before any inventory report', () => {
    const heartbeat = buildHeartbeat(facts(), { policyVersion: 4 });

    expect(heartbeat.reportSeq).toBe(0);
    expect(heartbeat).not.toHaveProperty('reportEpoch');
  });

  it('refuses to build a heartbeat that breaks the contract', () => {
    expect(() =>
      buildHeartbeat(
        { ...facts(), sessions: [{ id: 'bad id/x', user: 'u', state: 'active' }] },
        { policyVersion: 4 },
      ),
    ).toThrow();
  });

  it('builds valid heartbeats from simulated hosts', async () => {
    for (let seed = 0; seed < 50; seed++) {
      const host = simulatedHost(`sim-${String(seed).padStart(4, '0')}`, seed);
      const heartbeat = buildHeartbeat(
        {
          ...facts(),
          sessions: await host.sessions(),
          platform: host.platform,
          hostname: host.hostname,
        },
        { policyVersion: 4 },
      );
      expect(heartbeat.sessions.length).toBeLessThanOrEqual(3);
    }
  });

  it('turns OS logins into schema-safe session ids', () => {
    const sessions = sessionsFromLogins([
      { user: 'alice', tty: 'pts/0', date: '2024-05-01', time: '08:00' },
      { user: 'alice', tty: 'pts/0', date: '', time: '' },
      { user: 'CORP\\bob', tty: 'rdp-tcp#3', date: '', time: '' },
    ]);

    expect(sessions.map((s) => s.id)).toEqual(['alice-pts-0', 'alice-pts-0-2', 'CORP-bob-rdp-tcp-3']);
    expect(sessionIdOf('', '')).toBe('session');
  });
});

describe('heartbeat fields contributed by modules', () => {
  function recordingLogger() {
    const warnings: unknown[] = [];
    return {
      warnings,
      logger: {
        ...silentLogger,
        warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }),
      },
    };
  }

  it("merges every module's fields, the later module winning a field both set", () => {
    const { logger, warnings } = recordingLogger();

    const merged = mergeContributions(
      [
        { name: 'policy', heartbeatFields: () => ({ policyVersion: 3 }) },
        { name: 'quiet' },
        { name: 'inventory', heartbeatFields: () => ({ reportSeq: 9, reportEpoch: 'e-9' }) },
        { name: 'late', heartbeatFields: () => ({ reportSeq: 10 }) },
      ],
      logger,
    );

    expect(merged).toEqual({ policyVersion: 3, reportSeq: 10, reportEpoch: 'e-9' });
    expect(warnings).toEqual([]);
  });

  it('leaves out a module that throws, logs it, and keeps the others', () => {
    const { logger, warnings } = recordingLogger();

    const merged = mergeContributions(
      [
        {
          name: 'broken',
          heartbeatFields: () => {
            throw new Error('boom');
          },
        },
        { name: 'policy', heartbeatFields: () => ({ policyVersion: 3 }) },
      ],
      logger,
    );

    expect(merged).toEqual({ policyVersion: 3 });
    expect(warnings).toEqual([
      { msg: 'heartbeat fields of a module left out: it threw', fields: { module: 'broken', error: 'boom' } },
    ]);
  });

  it('leaves out a contribution that breaks the protocol instead of failing the heartbeat', () => {
    const { logger, warnings } = recordingLogger();

    const merged = mergeContributions(
      [
        { name: 'bad', heartbeatFields: () => ({ reportSeq: -1 }) },
        { name: 'policy', heartbeatFields: () => ({ policyVersion: 3 }) },
      ],
      logger,
    );

    expect(merged).toEqual({ policyVersion: 3 });
    expect(warnings).toEqual([
      expect.objectContaining({ msg: 'heartbeat fields of a module left out: out of contract' }),
    ]);
    expect(() => buildHeartbeat(facts(), merged)).not.toThrow();
  });

  it('never lets a module override what the core knows', () => {
    const heartbeat = buildHeartbeat(facts(), {
      policyVersion: 1,
      agentVersion: '9.9.9',
      uptimeSec: 1,
      sentAt: 1,
      hostname: 'spoofed',
    });

    expect(heartbeat).toMatchObject({
      agentVersion: '0.1.0',
      uptimeSec: 90,
      sentAt: facts().now,
      hostname: 'lnx-0001',
    });
  });

  it('refuses a heartbeat no module gave a policy version', () => {
    expect(() => buildHeartbeat(facts())).toThrow(/policyVersion/);
  });
});

describe('heartbeat loop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one immediately, then one per interval', async () => {
    const send = vi.fn(async () => undefined);
    const loop = new HeartbeatLoop({ intervalSec: () => 60, send, logger: silentLogger });

    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(send).toHaveBeenCalledTimes(4);
    loop.stop();
  });

  it('applies a new interval from the reschedule on', async () => {
    let interval = 60;
    const send = vi.fn(async () => undefined);
    const loop = new HeartbeatLoop({ intervalSec: () => interval, send, logger: silentLogger });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);

    interval = 10;
    loop.reschedule();
    await vi.advanceTimersByTimeAsync(30_000);

    expect(send).toHaveBeenCalledTimes(4);
    loop.stop();
  });

  it('beats now on demand, then every (new) interval from there', async () => {
    let interval = 60;
    const send = vi.fn(async () => undefined);
    const loop = new HeartbeatLoop({ intervalSec: () => interval, send, logger: silentLogger });
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(send).toHaveBeenCalledTimes(1);

    interval = 300;
    loop.beatNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(299_000);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(send).toHaveBeenCalledTimes(3);
    loop.stop();
    loop.beatNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('keeps going after a failed send, and stops when told', async () => {
    const send = vi.fn(async () => {
      throw new Error('not connected');
    });
    const loop = new HeartbeatLoop({ intervalSec: () => 10, send, logger: silentLogger });
    loop.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(send).toHaveBeenCalledTimes(3);

    loop.stop();
    await vi.advanceTimersByTimeAsync(60_000);

    expect(send).toHaveBeenCalledTimes(3);
  });
});
