/**
 * Simulated inventory for the fleet simulator: a realistic Windows or Linux host generated from a
 * seed (same seed, same host), about 75 KB of raw JSON, and `step(rng)` that applies one interval's
 * worth of realistic churn (updates, installs, removals, services, sessions, DHCP, reboots).
 */

import type { InventorySections, SectionCollector } from '#agent/inventory/sections.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { createRng, type Rng } from '../rng.ts';
import { LINUX_PACKAGE_SERVICES } from './generators/catalog-linux.ts';
import {
  addService,
  bumpVersion,
  type Collection,
  DAY,
  type Entry,
  isoDate,
  isoMinute,
  linkLocal,
  type SimulatedPlatform,
  siteSubnet,
} from './generators/common.ts';
import { buildLinux, linuxPackage } from './generators/linux.ts';
import { appService, buildWindows, windowsApp } from './generators/windows.ts';

export { createRng, hashString, type Rng } from '../rng.ts';
export type { SimulatedPlatform } from './generators/common.ts';

export interface SimulatedHostOptions {
  /** @default 70% windows, 30% linux, drawn from the seed */
  readonly platform?: SimulatedPlatform;
  /** @default drawn from the seed */
  readonly hostname?: string;
  /**
   * The device's LAN, so a simulated fleet has neighbours for Wake-on-LAN bridges.
   * @default one of a few site subnets (10.{site}.{vlan}.0/24), drawn from the seed
   */
  readonly subnet?: { readonly cidr: string; readonly gateway: string };
  /** Simulated time between two steps. @default 15 minutes */
  readonly stepMs?: number;
  /** Simulated clock at creation. @default 2024-05-01 plus up to 30 days, drawn from the seed */
  readonly startAt?: number;
}

export class SimulatedHost {
  readonly platform: SimulatedPlatform;
  private readonly state: Record<string, Entry>;
  private now: number;
  private readonly stepMs: number;
  /** Catalog lines this host may install later (not installed now). */
  private readonly installable: string[];

  constructor(seed: number, options: SimulatedHostOptions = {}) {
    const rng = createRng(seed);
    this.platform = options.platform ?? (rng.chance(0.7) ? 'windows' : 'linux');
    this.stepMs = options.stepMs ?? 15 * 60_000;
    this.now = options.startAt ?? Date.UTC(2024, 4, 1) + rng.int(0, 30) * DAY + rng.int(0, DAY);
    const hostname =
      options.hostname ??
      (this.platform === 'windows' ? `WS-${rng.hex(6).toUpperCase()}` : `srv-${rng.hex(4)}`);
    const subnet = options.subnet ?? siteSubnet(rng);
    const built =
      this.platform === 'windows'
        ? buildWindows(rng, hostname, subnet, this.now)
        : buildLinux(rng, hostname, subnet, this.now);
    this.state = built.state;
    this.installable = built.installable;
  }

  /** The current sections (a copy: the caller may keep it while the host churns on). */
  sections(): InventorySections {
    return structuredClone(this.state) as InventorySections;
  }

  /** The current `network` section (a copy): the simulated Wake-on-LAN bridge reads its interfaces there. */
  network(): JsonObject | undefined {
    return structuredClone(this.state.network) as JsonObject | undefined;
  }

  /** Collectors that read this host, one per section. */
  collectors(): SectionCollector[] {
    return Object.keys(this.state).map((section) => ({
      section: section as SectionCollector['section'],
      collect: async () => structuredClone(this.state[section]) as JsonObject,
    }));
  }

  /** Applies one interval's worth of realistic change; returns what changed, for logs and tests. */
  step(rng: Rng): string[] {
    this.now += this.stepMs;
    const changes: string[] = [];
    const software = this.state.software as Collection;
    const services = this.state.services as Collection;
    const win = this.platform === 'windows';

    if (rng.chance(0.35)) changes.push(...this.toggleServices(rng, services));
    if (rng.chance(win ? 0.2 : 0.12))
      changes.push(...this.updateSoftware(rng, software, rng.int(1, win ? 2 : 6)));
    if (rng.chance(0.04)) changes.push(this.installSoftware(rng, software, services));
    if (rng.chance(0.03)) changes.push(this.uninstallSoftware(rng, software));
    if (rng.chance(0.12)) changes.push(this.sessionChange(rng));
    if (rng.chance(0.04)) changes.push(this.dhcpChange(rng));
    if (rng.chance(0.08)) changes.push(this.volumeUsage(rng));
    if (win && rng.chance(0.12)) changes.push(this.antivirusSignatures(rng));
    if (win && rng.chance(0.015)) changes.push(this.hotfix(rng));
    if (rng.chance(0.01)) changes.push(this.reboot());
    return changes;
  }

  private toggleServices(rng: Rng, services: Collection): string[] {
    const candidates = Object.keys(services).filter((name) => services[name]?.startMode !== 'Disabled');
    return rng.sample(candidates, rng.int(1, 3)).map((name) => {
      const service = services[name] as Entry;
      service.running = !service.running;
      return `service ${name} ${service.running ? 'started' : 'stopped'}`;
    });
  }

  private updateSoftware(rng: Rng, software: Collection, count: number): string[] {
    return rng.sample(Object.keys(software), count).map((key) => {
      const item = software[key] as Entry;
      item.version = bumpVersion(String(item.version), rng);
      item.installedAt = isoDate(this.now);
      return `software ${key} updated to ${item.version}`;
    });
  }

  private installSoftware(rng: Rng, software: Collection, services: Collection): string {
    const line = this.installable.length > 0 ? rng.pick(this.installable) : undefined;
    if (line === undefined) return 'nothing left to install';
    this.installable.splice(this.installable.indexOf(line), 1);
    const [key, item] =
      this.platform === 'windows' ? windowsApp(line, rng, this.now) : linuxPackage(line, rng, this.now);
    software[key] = item;
    const service =
      this.platform === 'windows' ? appService(String(item.name)) : LINUX_PACKAGE_SERVICES[line];
    if (service !== undefined) addService(services, service, this.platform);
    return `software ${key} installed`;
  }

  private uninstallSoftware(rng: Rng, software: Collection): string {
    const key = rng.pick(Object.keys(software));
    delete software[key];
    return `software ${key} removed`;
  }

  private sessionChange(rng: Rng): string {
    const users = this.state.users as { accounts: Collection; sessions: Collection };
    const sessionKeys = Object.keys(users.sessions);
    const first = sessionKeys[0];
    if (first !== undefined && rng.chance(0.5)) {
      delete users.sessions[first];
      return `session ${first} ended`;
    }
    const user = rng.pick(Object.keys(users.accounts).filter((name) => !users.accounts[name]?.disabled));
    const tty =
      this.platform === 'windows'
        ? rng.chance(0.8)
          ? 'console'
          : `rdp-tcp#${rng.int(0, 40)}`
        : `pts/${rng.int(0, 9)}`;
    users.sessions[`${user}@${tty}`] = { user, tty, since: isoMinute(this.now) };
    return `session ${user}@${tty} started`;
  }

  private dhcpChange(rng: Rng): string {
    const network = this.state.network as { interfaces: Collection };
    const primary = Object.values(network.interfaces).find((i) => i.default === true);
    if (primary === undefined) return 'no default interface';
    const [address, prefix] = String((primary.ipv4 as string[])[0]).split('/');
    const octets = String(address).split('.');
    octets[3] = String(rng.int(20, 250));
    primary.ipv4 = [`${octets.join('.')}/${prefix}`];
    if (this.platform === 'windows')
      primary.ipv6 = [
        linkLocal(rng),
        `2001:db8:${rng.hex(4)}:${rng.hex(2)}00:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}/64`,
      ];
    return `ip changed to ${octets.join('.')}`;
  }

  private volumeUsage(rng: Rng): string {
    const volumes = (this.state.hardware as { volumes: Collection }).volumes;
    const name = rng.pick(Object.keys(volumes));
    const volume = volumes[name] as Entry;
    volume.usedGiB = Math.max(1, Number(volume.usedGiB) + rng.pick([-2, -1, 1, 1, 2, 3]));
    return `volume ${name} now ${volume.usedGiB} GiB used`;
  }

  private antivirusSignatures(rng: Rng): string {
    const security = this.state.security as Entry;
    security.antivirusSignatures = bumpVersion(String(security.antivirusSignatures), rng);
    security.antivirusSignaturesAt = isoMinute(this.now);
    return `av signatures ${security.antivirusSignatures}`;
  }

  private hotfix(rng: Rng): string {
    const os = this.state.os as { hotfixes: Collection; build: string };
    const kb = `KB50${rng.int(36000, 49999)}`;
    os.hotfixes[kb] = {
      description: rng.pick(['Security Update', 'Update']),
      installedAt: isoDate(this.now),
    };
    const [major, minor] = os.build.split('.');
    os.build = `${major}.${Number(minor) + rng.int(1, 60)}`;
    return `hotfix ${kb} installed`;
  }

  private reboot(): string {
    const os = this.state.os as Entry;
    os.bootedAt = Math.floor(this.now / 60_000) * 60_000;
    (this.state.users as { sessions: Collection }).sessions = {};
    return 'rebooted';
  }
}
