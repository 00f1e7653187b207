import { describe, expect, it } from 'vitest';
import {
  type BridgeCandidate,
  type BridgePool,
  chooseBridges,
  directedBroadcast,
  MAX_RELAY_TARGETS,
  type WakeTarget,
} from '#lambdas/targets/choose-bridges.ts';

const target = (deviceId: string, subnets: string[], site?: string, extraMac?: string): WakeTarget => ({
  deviceId,
  ...(site === undefined ? {} : { site }),
  nics: [
    ...subnets.map((subnet, i) => ({
      iface: `eth${i}`,
      mac: `02:00:00:00:${deviceId.slice(-2)}:0${i}`,
      subnet,
    })),
    ...(extraMac === undefined ? [] : [{ iface: 'wired', mac: extraMac }]),
  ],
});
const candidate = (deviceId: string, lastHeartbeatAt: number, address?: string): BridgeCandidate => ({
  deviceId,
  lastHeartbeatAt,
  ...(address === undefined ? {} : { iface: 'eth0', address }),
});
const pool = (
  bySubnet: Record<string, BridgeCandidate[]> = {},
  bySite: Record<string, BridgeCandidate[]> = {},
): BridgePool => ({ bySubnet: new Map(Object.entries(bySubnet)), bySite: new Map(Object.entries(bySite)) });

describe('chooseBridges', () => {
  it('takes the two freshest online agents of the same subnet', () => {
    const choice = chooseBridges(
      [target('t-01', ['10.1.2.0/24'], 'paris')],
      pool(
        {
          '10.1.2.0/24': [
            candidate('b-old', 100, '10.1.2.5'),
            candidate('b-new', 300, '10.1.2.6'),
            candidate('b-mid', 200, '10.1.2.7'),
          ],
        },
        { paris: [candidate('s-1', 999)] },
      ),
    );

    expect(choice.unreachable).toEqual([]);
    expect(choice.relays).toEqual([
      {
        mode: 'same-subnet',
        subnet: '10.1.2.0/24',
        broadcastAddress: '10.1.2.255',
        bridges: [candidate('b-new', 300, '10.1.2.6'), candidate('b-mid', 200, '10.1.2.7')],
        targets: [{ deviceId: 't-01', mac: '02:00:00:00:01:00' }],
      },
    ]);
  });

  it("falls back to the site's agents with a directed broadcast to the target's subnet", () => {
    const choice = chooseBridges(
      [target('t-01', ['10.1.2.0/25'], 'paris')],
      pool(
        { '10.1.2.0/25': [] },
        { paris: [candidate('s-1', 10), candidate('s-2', 30), candidate('s-3', 20)] },
      ),
    );

    expect(choice.relays).toEqual([
      expect.objectContaining({
        mode: 'same-site',
        subnet: '10.1.2.0/25',
        broadcastAddress: '10.1.2.127',
        bridges: [candidate('s-2', 30), candidate('s-3', 20)],
      }),
    ]);
  });

  it('prefers any subnet of the target with a bridge over the site', () => {
    const choice = chooseBridges(
      [target('t-01', ['10.1.2.0/24', '10.9.0.0/16'], 'paris')],
      pool({ '10.9.0.0/16': [candidate('b-1', 1, '10.9.3.3')] }, { paris: [candidate('s-1', 99)] }),
    );

    expect(choice.relays.map((r) => [r.mode, r.subnet])).toEqual([['same-subnet', '10.9.0.0/16']]);
  });

  it('lets targets sharing a subnet share one relay and its bridges, with every MAC of each target', () => {
    const targets = [
      target('t-01', ['10.1.2.0/24'], undefined, 'aa:bb:cc:00:00:01'),
      target('t-02', ['10.1.2.0/24']),
      target('t-03', ['10.1.3.0/24']),
    ];

    const choice = chooseBridges(
      targets,
      pool({
        '10.1.2.0/24': [candidate('b-1', 5, '10.1.2.9')],
        '10.1.3.0/24': [candidate('b-2', 5, '10.1.3.9')],
      }),
    );

    expect(choice.relays).toHaveLength(2);
    expect(choice.relays[0]?.targets).toEqual([
      { deviceId: 't-01', mac: '02:00:00:00:01:00' },
      { deviceId: 't-01', mac: 'aa:bb:cc:00:00:01' },
      { deviceId: 't-02', mac: '02:00:00:00:02:00' },
    ]);
    expect(choice.relays[1]?.bridges.map((b) => b.deviceId)).toEqual(['b-2']);
  });

  it('never uses a target of the same command as a bridge', () => {
    const choice = chooseBridges(
      [target('t-01', ['10.1.2.0/24']), target('t-02', ['10.1.2.0/24'])],
      pool({ '10.1.2.0/24': [candidate('t-02', 50, '10.1.2.2'), candidate('b-1', 1, '10.1.2.3')] }),
    );

    expect(choice.relays[0]?.bridges.map((b) => b.deviceId)).toEqual(['b-1']);
  });

  it('fails a target with no bridge, naming its subnet and site, and one with no network data', () => {
    const choice = chooseBridges(
      [
        target('t-01', ['10.1.2.0/24'], 'paris'),
        target('t-02', ['10.1.4.0/24']),
        { deviceId: 't-03', nics: [] },
      ],
      pool({}, { paris: [] }),
    );

    expect(choice.relays).toEqual([]);
    expect(choice.unreachable).toEqual([
      { deviceId: 't-01', reason: 'no bridge: no online agent in 10.1.2.0/24 or site paris' },
      { deviceId: 't-02', reason: 'no bridge: no online agent in 10.1.4.0/24 and the target has no site' },
      { deviceId: 't-03', reason: 'no bridge: the inventory names no MAC and IPv4 subnet for the target' },
    ]);
  });

  it('does not wake through a /31 or /32 (no broadcast domain)', () => {
    const choice = chooseBridges(
      [target('t-01', ['10.1.2.7/32'])],
      pool({ '10.1.2.7/32': [candidate('b', 1)] }),
    );

    expect(choice.unreachable.map((u) => u.deviceId)).toEqual(['t-01']);
  });

  it('splits a relay with more MACs than one wake-relay command carries', () => {
    const targets = Array.from({ length: MAX_RELAY_TARGETS + 1 }, (_, i) =>
      target(`t-${String(i).padStart(3, '0')}`, ['10.1.2.0/24']),
    );

    const choice = chooseBridges(targets, pool({ '10.1.2.0/24': [candidate('b-1', 1, '10.1.2.3')] }));

    expect(choice.relays.map((r) => r.targets.length)).toEqual([MAX_RELAY_TARGETS, 1]);
    expect(choice.relays.every((r) => r.bridges[0]?.deviceId === 'b-1')).toBe(true);
  });
});

describe('directedBroadcast', () => {
  it.each([
    ['10.1.2.0/24', '10.1.2.255'],
    ['192.168.0.0/16', '192.168.255.255'],
    ['10.1.2.64/26', '10.1.2.127'],
    ['10.0.0.0/8', '10.255.255.255'],
  ])('%s → %s', (subnet, broadcast) => {
    expect(directedBroadcast(subnet)).toBe(broadcast);
  });
});
