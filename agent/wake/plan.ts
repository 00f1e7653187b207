/**
 * What a bridge sends for one `wake-relay` command, decided from the command and the machine's
 * interfaces (os.networkInterfaces()) alone, so the choice is testable without a network.
 *
 * The source address matters: a limited broadcast (255.255.255.255) leaves by the interface that
 * owns the socket's bound address, and an unbound socket's broadcast goes wherever the default
 * route points, which on a multi-homed bridge is usually not the targets' segment.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { Command } from '#protocol/commands.ts';
import { magicPacket } from './magic-packet.ts';

export type WakeRelayCommand = Extract<Command, { type: 'wake-relay' }>;

export const LIMITED_BROADCAST = '255.255.255.255';

export class WakePlanError extends Error {
  override readonly name = 'WakePlanError';
}

export interface Ipv4Subnet {
  readonly network: number;
  readonly prefix: number;
  /** Unsigned 32-bit value of the directed broadcast address. */
  readonly broadcast: number;
}

export interface SubnetInterface {
  readonly name: string;
  readonly address: string;
}

export interface WakePacket {
  readonly deviceId: string;
  readonly mac: string;
  readonly payload: Buffer;
}

export interface WakePlan {
  /** The bridge's interface in the subnet; null: the subnet is elsewhere, the kernel's route decides. */
  readonly via: SubnetInterface | null;
  /** The directed broadcast, then the limited broadcast when the bridge is on the targets' segment. */
  readonly destinations: readonly string[];
  readonly ports: readonly number[];
  readonly packets: readonly WakePacket[];
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export const formatIpv4 = (value: number): string =>
  [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `10.1.2.0/24` → network, prefix, directed broadcast. Host bits set in the address are refused. */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const [address, prefixText, ...rest] = cidr.split('/');
  const value = address === undefined ? undefined : parseIpv4(address);
  const prefix = Number(prefixText);
  if (value === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefixText ?? '') || prefix > 32) {
    throw new WakePlanError(`subnet ${JSON.stringify(cidr)} is not an IPv4 CIDR like 192.168.1.0/24`);
  }
  if (prefix > 30) throw new WakePlanError(`subnet ${cidr} has no directed broadcast address (prefix > /30)`);
  const mask = maskOf(prefix);
  if ((value & ~mask) >>> 0 !== 0) {
    throw new WakePlanError(
      `subnet ${cidr} has host bits set (its network is ${formatIpv4(value & mask)}/${prefix})`,
    );
  }
  return { network: value, prefix, broadcast: (value | ~mask) >>> 0 };
}

const contains = (subnet: Pick<Ipv4Subnet, 'network' | 'prefix'>, address: number): boolean =>
  (address & maskOf(subnet.prefix)) >>> 0 === subnet.network;

function prefixOfNetmask(netmask: string): number | undefined {
  const value = parseIpv4(netmask);
  for (let prefix = 0; prefix <= 32; prefix++) if (maskOf(prefix) === value) return prefix;
  return undefined;
}

/**
 * The interface address on the targets' segment: an address inside the subnet (one whose own
 * netmask is the subnet's first), else an address whose network contains the subnet (a bridge
 * configured with a wider mask is still on-link). Loopback and IPv6 never qualify; ties go to
 * the first interface by name, so the choice does not depend on enumeration order.
 */
export function findSubnetInterface(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  subnet: Ipv4Subnet,
): SubnetInterface | undefined {
  const candidates: Array<SubnetInterface & { rank: number }> = [];
  for (const name of Object.keys(interfaces).sort()) {
    for (const info of interfaces[name] ?? []) {
      if (info.family !== 'IPv4' || info.internal) continue;
      const address = parseIpv4(info.address);
      const ownPrefix = prefixOfNetmask(info.netmask);
      if (address === undefined || ownPrefix === undefined) continue;
      if (contains(subnet, address)) {
        candidates.push({ name, address: info.address, rank: ownPrefix === subnet.prefix ? 0 : 1 });
      } else if (ownPrefix < subnet.prefix) {
        const ownNetwork = { network: (address & maskOf(ownPrefix)) >>> 0, prefix: ownPrefix };
        if (contains(ownNetwork, subnet.network)) candidates.push({ name, address: info.address, rank: 2 });
      }
    }
  }
  const best = candidates.reduce<(typeof candidates)[number] | undefined>(
    (found, c) => (found === undefined || c.rank < found.rank ? c : found),
    undefined,
  );
  return best === undefined ? undefined : { name: best.name, address: best.address };
}

/**
 * The sends for `command`. Refuses a broadcast address that is not the subnet's own: the bridge
 * sends only where the command says the sleeping targets are, never to an arbitrary host.
 */
export function planWake(
  command: WakeRelayCommand,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): WakePlan {
  const subnet = parseSubnet(command.subnet);
  const expected = formatIpv4(subnet.broadcast);
  if (command.broadcastAddress !== expected) {
    throw new WakePlanError(
      `broadcast address ${command.broadcastAddress} is not the directed broadcast of ${command.subnet} (${expected})`,
    );
  }
  const via = findSubnetInterface(interfaces, subnet) ?? null;
  return {
    via,
    destinations: via === null ? [expected] : [expected, LIMITED_BROADCAST],
    ports: [...new Set(command.ports)],
    packets: command.targets.map((t) => ({
      deviceId: t.deviceId,
      mac: t.mac,
      payload: magicPacket(t.mac, command.secureOn),
    })),
  };
}
