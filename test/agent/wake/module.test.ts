import { describe, expect, it } from 'vitest';
import { CommandRouter } from '#agent/commands.ts';
import { silentLogger } from '#agent/logger.ts';
import type { AgentContext } from '#agent/module.ts';
import { WakeModule, wakeResult } from '#agent/wake/module.ts';
import { planWake, type WakeRelayCommand } from '#agent/wake/plan.ts';
import { type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { decodeJson, encodeJson } from '#protocol/encoding.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';

const command: WakeRelayCommand = {
  type: 'wake-relay',
  commandId: 'w-1',
  issuedAt: 1,
  targets: [{ deviceId: 'dev-t', mac: '00:1a:2b:3c:4d:5e' }],
  subnet: '10.20.30.0/24',
  broadcastAddress: '10.20.30.255',
  ports: [9, 7],
};

/** The module behind the real router, with a context that records results: nothing is sent here. */
async function bridge() {
  const results: CommandResult[] = [];
  const sendResult = async (result: CommandResult) => {
    results.push(result);
  };
  const router = new CommandRouter({ logger: silentLogger, sendResult, dedupWindow: 8 });
  const context: AgentContext = {
    deviceId: 'dev-bridge',
    agentVersion: '0.0.0',
    dataDir: '/nonexistent',
    logger: silentLogger,
    policy: () => PolicyDocumentSchema.parse({ version: 0 }),
    publish: async (_topic, payload) => sendResult(CommandResultSchema.parse(decodeJson(payload))),
    onCommand: (type, handler) => router.on(type, handler),
    onConnected() {},
  };
  await new WakeModule({ interfaces: () => ({}) }).start(context);
  return { results, dispatch: (raw: unknown) => router.dispatch(encodeJson(raw)) };
}

describe('WakeModule', () => {
  it('fails a subnet with host bits set with the reason, after the acknowledgement', async () => {
    const { results, dispatch } = await bridge();

    await dispatch({ ...command, subnet: '10.20.30.7/24' });

    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['acknowledged', undefined],
      ['failed', 'subnet 10.20.30.7/24 has host bits set (its network is 10.20.30.0/24)'],
    ]);
  });

  it('refuses a malformed MAC before anything runs (the protocol schema)', async () => {
    const { results, dispatch } = await bridge();

    await dispatch({ ...command, targets: [{ deviceId: 'dev-t', mac: '00:1a:2b:3c:4d' }] });

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^invalid command: .*mac/),
    });
  });
});

describe('wakeResult', () => {
  const plan = planWake(command, {
    eth0: [
      {
        address: '10.20.30.5',
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: '',
        internal: false,
        cidr: null,
      },
    ],
  });

  it('is succeeded with every datagram listed when all left', () => {
    const sent = [{ deviceId: 'dev-t', to: '10.20.30.255', port: 9, from: '10.20.30.5', bytes: 102 }];

    const result = wakeResult(command, plan, { sent, failures: [] });

    expect(result).toMatchObject({ status: 'succeeded', detail: { interface: 'eth0', sent } });
    expect(result.reason).toBeUndefined();
  });

  it('is failed when any destination failed, saying how many and why, with what did leave', () => {
    const sent = [{ deviceId: 'dev-t', to: '10.20.30.255', port: 9, from: '10.20.30.5', bytes: 102 }];
    const failures = [
      { to: '255.255.255.255', port: 9, error: 'send EPERM 255.255.255.255:9' },
      { to: '255.255.255.255', port: 7, error: 'send EPERM 255.255.255.255:7' },
    ];

    const result = wakeResult(command, plan, { sent, failures });

    expect(result.status).toBe('failed');
    expect(result.reason).toBe(
      '2 of 4 sends failed (from 10.20.30.5 on eth0): send EPERM 255.255.255.255:9; send EPERM 255.255.255.255:7',
    );
    expect(result.detail).toMatchObject({ sent, failures });
  });
});
