/**
 * Which online agents send a command's Wake-on-LAN packets (issue 9): for each target, agents with an
 * interface in the target's subnet first, freshest first; else agents of the target's site, sending a
 * directed broadcast to the target's subnet; up to two bridges. Targets of one command that share a
 * subnet share its bridges (one relay command carries them all). Pure: the candidates are gathered
 * beforehand (bridges.ts).
 */
import { formatIpv4, parseCidr } from './ipv4.ts';

/** One of the target's NICs as Wake-on-LAN sees it. */
export interface WakeNic {
  readonly iface: string;
  readonly mac: string;
  /** The subnet (network CIDR) the NIC has an address in; absent for an unaddressed NIC (a wired port while on Wi-Fi). */
  readonly subnet?: string;
}

export interface WakeTarget {
  readonly deviceId: string;
  readonly site?: string;
  readonly nics: readonly WakeNic[];
}

export interface BridgeCandidate {
  readonly deviceId: string;
  /** Its last heartbeat: the fresher, the likelier it is really up. */
  readonly lastHeartbeatAt: number;
  /** Its interface in the target's subnet and the address there (same-subnet candidates only). */
  readonly iface?: string;
  readonly address?: string;
}

export interface BridgePool {
  /** Online agents with an interface in the subnet, by subnet CIDR. */
  readonly bySubnet: ReadonlyMap<string, readonly BridgeCandidate[]>;
  /** Online agents of the site, by site. */
  readonly bySite: ReadonlyMap<string, readonly BridgeCandidate[]>;
}

export type RelayMode = 'same-subnet' | 'same-site';

export interface WakeRelayPlan {
  readonly mode: RelayMode;
  readonly subnet: string;
  readonly broadcastAddress: string;
  /** One or two, freshest first; each gets the same relay command. */
  readonly bridges: readonly BridgeCandidate[];
  /** Every MAC of every target woken through this subnet (a wake-relay carries at most 64). */
  readonly targets: ReadonlyArray<{ readonly deviceId: string; readonly mac: string }>;
}

export interface BridgeChoice {
  readonly relays: readonly WakeRelayPlan[];
  /** Targets no bridge can reach, with the reason the command fails with. */
  readonly unreachable: ReadonlyArray<{ readonly deviceId: string; readonly reason: string }>;
}

export const MAX_BRIDGES = 2;
/** WakeRelayCommandSchema's limit on targets per relay command. */
export const MAX_RELAY_TARGETS = 64;
/** A /31 or /32 has no broadcast address to send to. */
const MAX_WAKE_PREFIX = 30;

/** The subnets a target can be woken in, in NIC order, each once. */
export function wakeSubnets(target: WakeTarget): string[] {
  const subnets = target.nics.flatMap((nic) => {
    const block = nic.subnet === undefined ? undefined : parseCidr(nic.subnet);
    return block && block.prefix <= MAX_WAKE_PREFIX ? [nic.subnet as string] : [];
  });
  return [...new Set(subnets)];
}

export function directedBroadcast(subnet: string): string {
  const block = parseCidr(subnet);
  if (!block) throw new RangeError(`not a subnet: ${subnet}`);
  return formatIpv4(block.last);
}

const freshestFirst = (a: BridgeCandidate, b: BridgeCandidate): number =>
  b.lastHeartbeatAt - a.lastHeartbeatAt || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);

export function chooseBridges(targets: readonly WakeTarget[], pool: BridgePool): BridgeChoice {
  const targetIds = new Set(targets.map((t) => t.deviceId));
  // A device being woken is no bridge, even if it still looks online.
  const usable = (list: readonly BridgeCandidate[] | undefined): BridgeCandidate[] =>
    [...(list ?? [])]
      .filter((c) => !targetIds.has(c.deviceId))
      .sort(freshestFirst)
      .slice(0, MAX_BRIDGES);
  const groups = new Map<
    string,
    {
      mode: RelayMode;
      subnet: string;
      bridges: BridgeCandidate[];
      targets: Array<{ deviceId: string; mac: string }>;
    }
  >();
  const unreachable: Array<{ deviceId: string; reason: string }> = [];
  for (const target of targets) {
    const subnets = wakeSubnets(target);
    const macs = [...new Set(target.nics.map((nic) => nic.mac))];
    if (subnets.length === 0 || macs.length === 0) {
      unreachable.push({
        deviceId: target.deviceId,
        reason: 'no bridge: the inventory names no MAC and IPv4 subnet for the target',
      });
      continue;
    }
    const sameSubnet = subnets.find((subnet) => usable(pool.bySubnet.get(subnet)).length > 0);
    const siteBridges = target.site === undefined ? [] : usable(pool.bySite.get(target.site));
    let key: string;
    let group: { mode: RelayMode; subnet: string; bridges: BridgeCandidate[] };
    if (sameSubnet !== undefined) {
      key = `subnet|${sameSubnet}`;
      group = { mode: 'same-subnet', subnet: sameSubnet, bridges: usable(pool.bySubnet.get(sameSubnet)) };
    } else if (siteBridges.length > 0) {
      const subnet = subnets[0] as string;
      key = `site|${target.site}|${subnet}`;
      group = { mode: 'same-site', subnet, bridges: siteBridges };
    } else {
      const where = subnets.join(', ');
      unreachable.push({
        deviceId: target.deviceId,
        reason: `no bridge: no online agent in ${where}${target.site === undefined ? ' and the target has no site' : ` or site ${target.site}`}`,
      });
      continue;
    }
    const existing = groups.get(key) ?? { ...group, targets: [] };
    for (const mac of macs) existing.targets.push({ deviceId: target.deviceId, mac });
    groups.set(key, existing);
  }
  const relays: WakeRelayPlan[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.targets.length; i += MAX_RELAY_TARGETS) {
      relays.push({
        mode: group.mode,
        subnet: group.subnet,
        broadcastAddress: directedBroadcast(group.subnet),
        bridges: group.bridges,
        targets: group.targets.slice(i, i + MAX_RELAY_TARGETS),
      });
    }
  }
  return { relays, unreachable };
}
