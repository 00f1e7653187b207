/**
 * The simulated devices' Wake-on-LAN: a bridge answers `wake-relay` with what the real agent
 * would send (the same plan, from its simulated interfaces) but sends nothing: simulated devices
 * never put a packet on the wire. It then tells the fleet which targets to power on, which is how
 * a simulated powered-off device "wakes" (simulator/fleet.ts).
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { WakeModule } from '#agent/wake/module.ts';
import { formatIpv4, type WakePlan } from '#agent/wake/plan.ts';
import type { SendOutcome } from '#agent/wake/send.ts';
import type { JsonObject } from '#protocol/inventory.ts';

export type InterfaceList = NodeJS.Dict<NetworkInterfaceInfo[]>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The inventory's `network` section (interfaces with `ipv4: ['a.b.c.d/nn']`) as os.networkInterfaces() lists it. */
export function interfacesFromInventory(network: JsonObject | undefined): InterfaceList {
  const list: InterfaceList = Object.create(null);
  const interfaces = isRecord(network) ? network.interfaces : undefined;
  if (!isRecord(interfaces)) return list;
  for (const [name, nic] of Object.entries(interfaces)) {
    if (!isRecord(nic) || !Array.isArray(nic.ipv4)) continue;
    const mac = typeof nic.mac === 'string' ? nic.mac : '00:00:00:00:00:00';
    list[name] = nic.ipv4.flatMap((cidr): NetworkInterfaceInfo[] => {
      const [address, prefixText] = typeof cidr === 'string' ? cidr.split('/') : [];
      const prefix = Number(prefixText);
      if (address === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return [];
      const netmask = formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
      return [{ address, netmask, family: 'IPv4', mac, internal: false, cidr: `${address}/${prefix}` }];
    });
  }
  return list;
}

/** What the plan would send; `from` is null where the kernel's route would choose it. */
export function simulatedSends(plan: WakePlan): SendOutcome {
  const sent = plan.destinations.flatMap((to) =>
    plan.ports.flatMap((port) =>
      plan.packets.map((p) => ({
        deviceId: p.deviceId,
        to,
        port,
        from: plan.via?.address ?? 'routing table',
        bytes: p.payload.length,
      })),
    ),
  );
  return { sent, failures: [] };
}

export interface SimulatedWakeOptions {
  /** The simulated machine's interfaces. @default none: every wake is "by the routing table" */
  readonly interfaces?: () => InterfaceList;
  /** Called with the targets once the result is published: the fleet powers them on. */
  readonly onWake?: (deviceIds: string[]) => void;
}

/** The agent's own wake module, with a sender that sends nothing and reports what it would send. */
export function simulatedWakeModule(options: SimulatedWakeOptions = {}): WakeModule {
  return new WakeModule({
    interfaces: () => options.interfaces?.() ?? {},
    send: async (plan) => simulatedSends(plan),
    simulated: true,
    ...(options.onWake ? { onSent: options.onWake } : {}),
  });
}
