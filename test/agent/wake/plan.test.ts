import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  findSubnetInterface,
  parseSubnet,
  planWake,
  WakePlanError,
  type WakeRelayCommand,
} from '#agent/wake/plan.ts';

const v4 = (address: string, netmask: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask,
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: null,
});
const v6 = (address: string): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal: false,
  cidr: null,
  scopeid: 0,
});

const command = (overrides: Partial<WakeRelayCommand> = {}): WakeRelayCommand => ({
  type: 'wake-relay',
  commandId: 'w-1',
  issuedAt: 1,
  targets: [{ deviceId: 'dev-target', mac: '00:1a:2b:3c:4d:5e' }],
  subnet: '10.20.30.0/24',
  broadcastAddress: '10.20.30.255',
  ports: [9, 7],
  ...overrides,
});

describe('parseSubnet', () => {
  it('computes the directed broadcast address', () => {
    expect(parseSubnet('192.168.1.0/24')).toEqual({ network: 0xc0a80100, prefix: 24, broadcast: 0xc0a801ff });
    expect(parseSubnet('10.0.0.0/8').broadcast).toBe(0x0affffff);
    expect(parseSubnet('172.16.4.0/22').broadcast).toBe(0xac1007ff);
  });

  it.each([
    ['10.20.30.7/24', /host bits set \(its network is 10\.20\.30\.0\/24\)/],
    ['10.20.30.0/31', /no directed broadcast/],
    ['10.20.300.0/24', /not an IPv4 CIDR/],
    ['10.20.30.0/33', /not an IPv4 CIDR/],
    ['10.20.30.0', /not an IPv4 CIDR/],
  ])('refuses %s', (cidr, message) => {
    expect(() => parseSubnet(cidr)).toThrow(WakePlanError);
    expect(() => parseSubnet(cidr)).toThrow(message);
  });
});

describe('findSubnetInterface', () => {
  const subnet = parseSubnet('10.20.30.0/24');

  it('picks the address in the subnet, not the interface’s first address', () => {
    const found = findSubnetInterface(
      { eth0: [v4('192.168.1.10', '255.255.255.0'), v6('fe80::1'), v4('10.20.30.5', '255.255.255.0')] },
      subnet,
    );

    expect(found).toEqual({ name: 'eth0', address: '10.20.30.5' });
  });

  it('never picks loopback or IPv6, even when they would match', () => {
    const found = findSubnetInterface(
      { lo: [v4('10.20.30.1', '255.255.255.0', true)], eth0: [v6('::ffff:10.20.30.2')] },
      subnet,
    );

    expect(found).toBeUndefined();
  });

  it('prefers an address whose own netmask is the subnet’s, then the first interface by name', () => {
    const found = findSubnetInterface(
      {
        wlan0: [v4('10.20.30.9', '255.255.255.0')],
        eth1: [v4('10.20.30.8', '255.255.255.128')],
        eth0: [v4('10.20.30.7', '255.255.255.0')],
      },
      subnet,
    );

    expect(found).toEqual({ name: 'eth0', address: '10.20.30.7' });
  });

  it('takes an interface whose wider network contains the subnet when none is inside it', () => {
    const found = findSubnetInterface(
      { eth0: [v4('192.168.1.10', '255.255.255.0')], eth1: [v4('10.20.0.4', '255.255.0.0')] },
      subnet,
    );

    expect(found).toEqual({ name: 'eth1', address: '10.20.0.4' });
  });

  it('finds nothing on a bridge of another subnet', () => {
    expect(findSubnetInterface({ eth0: [v4('10.20.31.4', '255.255.255.0')] }, subnet)).toBeUndefined();
  });
});

describe('planWake', () => {
  it('on the subnet: directed and limited broadcast, from the subnet interface, every port', () => {
    const plan = planWake(command(), { eth0: [v4('10.20.30.5', '255.255.255.0')] });

    expect(plan.via).toEqual({ name: 'eth0', address: '10.20.30.5' });
    expect(plan.destinations).toEqual(['10.20.30.255', '255.255.255.255']);
    expect(plan.ports).toEqual([9, 7]);
    expect(plan.packets.map((p) => [p.deviceId, p.payload.length])).toEqual([['dev-target', 102]]);
  });

  it('off the subnet: the directed broadcast only, by the routing table', () => {
    const plan = planWake(command({ secureOn: '01:02:03:04:05:06' }), {
      eth0: [v4('10.20.31.4', '255.255.255.0')],
    });

    expect(plan.via).toBeNull();
    expect(plan.destinations).toEqual(['10.20.30.255']);
    expect(plan.packets[0]?.payload.length).toBe(108);
  });

  it('refuses a broadcast address that is not the subnet’s own (never a unicast host elsewhere)', () => {
    expect(() => planWake(command({ broadcastAddress: '8.8.8.8' }), {})).toThrow(
      'broadcast address 8.8.8.8 is not the directed broadcast of 10.20.30.0/24 (10.20.30.255)',
    );
  });

  it('sends a port listed twice once', () => {
    expect(planWake(command({ ports: [9, 9] }), {}).ports).toEqual([9]);
  });
});
