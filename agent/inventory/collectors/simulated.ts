/**
 * Simulated inventory for the fleet simulator: a realistic Windows or Linux host generated from a
 * seed (same seed, same host), about 75 KB of raw JSON, and `step(rng)` that applies one interval's
 * worth of realistic churn (updates, installs, removals, services, sessions, DHCP, reboots).
 */
import type { JsonObject } from '#protocol/inventory.ts';
import type { InventorySections, SectionCollector } from '../sections.ts';
import {
  LINUX_HARDWARE,
  LINUX_PACKAGE_SERVICES,
  LINUX_SERVICES,
  SERVER_CPUS,
  THIRD_PARTY_LINUX_PACKAGES,
  UBUNTU_BASE_PACKAGES,
  UBUNTU_OPTIONAL_PACKAGES,
  UBUNTU_RELEASES,
} from './simulated/catalog-linux.ts';
import {
  FIRST_NAMES,
  INTEL_CPUS,
  LAST_NAMES,
  WINDOWS_APP_SERVICES,
  WINDOWS_APPS,
  WINDOWS_APPX,
  WINDOWS_BUILDS,
  WINDOWS_DRIVERS,
  WINDOWS_MODELS,
  WINDOWS_PER_USER_SERVICES,
  WINDOWS_SERVICES,
} from './simulated/catalog-windows.ts';
import { createRng, hashString, type Rng } from './simulated/rng.ts';

export { createRng, hashString, type Rng } from './simulated/rng.ts';

export type SimulatedPlatform = 'windows' | 'linux';

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

const DAY = 86_400_000;
const MICROSOFT_APPX_PUBLISHER =
  'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';
const GiB = 1024 ** 3;

type Entry = Record<string, unknown>;
type Collection = Record<string, Entry>;

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

/** Convenience: a host from a device id and seed, the way the fleet simulator names devices. */
export function createSimulatedHost(seed: number, options?: SimulatedHostOptions): SimulatedHost {
  return new SimulatedHost(seed, options);
}

// ---------------------------------------------------------------- Windows

function buildWindows(rng: Rng, hostname: string, subnet: Subnet, now: number) {
  const [manufacturer, model, chassisType, biosVendor, biosVersion] = rng.pick(WINDOWS_MODELS).split('|') as [
    string,
    string,
    string,
    string,
    string,
  ];
  const [cpuName, cores, threads, ghz] = rng.pick(INTEL_CPUS).split('|') as [string, string, string, string];
  const [distro, release, displayVersion] = rng.pick(WINDOWS_BUILDS).split('|') as [string, string, string];
  const laptop = chassisType === 'Notebook';
  const serial = rng.hex(7).toUpperCase();
  const memoryGiB = rng.pick([8, 16, 16, 32]);
  const diskGiB = rng.pick([256, 512, 512, 1024]);
  const installedAt = now - rng.int(60, 900) * DAY;

  const apps = WINDOWS_APPS.filter((line) => rng.chance(Math.min(1, 1.6 * Number(line.split('|')[4]))));
  const installable = WINDOWS_APPS.filter((line) => !apps.includes(line));
  const software: Collection = {};
  for (const line of apps) {
    const [key, item] = windowsApp(line, rng, now - rng.int(1, 400) * DAY);
    software[key] = item;
  }

  for (const line of WINDOWS_APPX) {
    if (!rng.chance(0.85)) continue;
    const [name, version] = line.split('|') as [string, string];
    software[`${name}@appx`] = {
      name,
      version: fill(version, rng),
      publisher: MICROSOFT_APPX_PUBLISHER,
      installedAt: isoDate(now - rng.int(1, 300) * DAY),
      arch: rng.chance(0.8) ? 'x64' : 'neutral',
      source: 'appx',
    };
  }

  const services: Collection = {};
  for (const line of WINDOWS_SERVICES) addService(services, line, 'windows');
  const luid = rng.hex(5);
  for (const line of WINDOWS_PER_USER_SERVICES) {
    const [name, displayName] = line.split('|') as [string, string];
    services[`${name}_${luid}`] = {
      displayName: `${displayName}_${luid}`,
      startMode: 'Auto',
      running: true,
      account: 'LocalSystem',
    };
  }
  for (const item of Object.values(software)) {
    const service = appService(String(item.name));
    if (service !== undefined) addService(services, service, 'windows');
  }

  const accounts: Collection = {
    Administrator: {
      builtin: true,
      disabled: true,
      description: 'Built-in account for administering the computer/domain',
    },
    DefaultAccount: { builtin: true, disabled: true, description: 'A user account managed by the system.' },
    Guest: {
      builtin: true,
      disabled: true,
      description: 'Built-in account for guest access to the computer/domain',
    },
    WDAGUtilityAccount: {
      builtin: true,
      disabled: true,
      description:
        'A user account managed and used by the system for Windows Defender Application Guard scenarios.',
    },
    localadmin: {
      builtin: false,
      disabled: false,
      admin: true,
      lastLogonAt: isoDate(now - rng.int(1, 90) * DAY),
    },
  };
  const owner = `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}`;
  accounts[`CORP\\${owner}`] = {
    builtin: false,
    disabled: false,
    domain: true,
    admin: rng.chance(0.2),
    lastLogonAt: isoDate(now),
  };
  const sessions: Collection = {
    [`CORP\\${owner}@console`]: {
      user: `CORP\\${owner}`,
      tty: 'console',
      since: isoMinute(now - rng.int(1, 600) * 60_000),
    },
  };

  const hotfixes: Collection = {};
  for (let i = rng.int(15, 35); i > 0; i--) {
    hotfixes[`KB50${rng.int(10000, 35999)}`] = {
      description: rng.pick(['Security Update', 'Update', 'Update', 'Security Update']),
      installedAt: isoDate(now - rng.int(1, 400) * DAY),
    };
  }

  const ip = hostAddress(subnet, rng);
  const interfaces: Collection = {
    Ethernet: nic(rng, {
      default: !laptop,
      ip: laptop ? undefined : ip,
      subnet,
      speed: 1000,
      type: 'wired',
      desc: 'Intel(R) Ethernet Connection (16) I219-LM',
    }),
  };
  if (laptop) {
    interfaces['Wi-Fi'] = nic(rng, {
      default: true,
      ip,
      subnet,
      speed: rng.pick([866, 1201, 2402]),
      type: 'wireless',
      desc: 'Intel(R) Wi-Fi 6E AX211 160MHz',
    });
    interfaces['Bluetooth Network Connection'] = {
      mac: mac(rng, '8c:17:59'),
      type: 'bluetooth',
      operstate: 'down',
      description: 'Bluetooth Device (Personal Area Network)',
    };
  }
  if (apps.some((a) => a.startsWith('Cisco Secure Client') || a.startsWith('GlobalProtect'))) {
    interfaces.VPN = {
      mac: mac(rng, '00:05:9a'),
      type: 'virtual',
      operstate: 'down',
      description: 'PANGP Virtual Ethernet Adapter Secure',
    };
  }

  const state: Record<string, Entry> = {
    hardware: {
      system: { manufacturer, model, serial, uuid: guid(rng), sku: rng.hex(4).toUpperCase(), virtual: false },
      bios: {
        vendor: biosVendor,
        version: fill(biosVersion, rng),
        releaseDate: isoDate(now - rng.int(30, 500) * DAY),
      },
      baseboard: {
        manufacturer,
        model: `0${rng.hex(5).toUpperCase()}`,
        version: `A0${rng.int(0, 9)}`,
        serial: `/${serial}/CNWS${rng.hex(8).toUpperCase()}/`,
      },
      chassis: { manufacturer, type: chassisType, serial, assetTag: `IT-${rng.int(10000, 99999)}` },
      cpu: {
        manufacturer: 'Intel',
        brand: cpuName,
        family: '6',
        model: String(rng.pick([154, 183, 186])),
        stepping: String(rng.int(2, 4)),
        cores: Number(threads),
        physicalCores: Number(cores),
        processors: 1,
        speedMaxGHz: Number(ghz),
        virtualization: true,
      },
      memory: {
        totalBytes: memoryGiB * GiB,
        modules: Object.fromEntries(
          Array.from({ length: memoryGiB >= 16 ? 2 : 1 }, (_, i) => [
            `DIMM ${i}`,
            {
              sizeBytes: (memoryGiB / (memoryGiB >= 16 ? 2 : 1)) * GiB,
              type: 'DDR4',
              clockMHz: 3200,
              formFactor: 'SODIMM',
              manufacturer: rng.pick(['Samsung', 'SK Hynix', 'Micron']),
              partNumber: `M471A${rng.hex(6).toUpperCase()}-CWE`,
              serial: rng.hex(8).toUpperCase(),
            },
          ]),
        ),
      },
      disks: {
        '\\\\.\\PHYSICALDRIVE0': {
          name: rng.pick([
            'Samsung SSD 980 PRO',
            'SK hynix PC801 NVMe',
            'KXG8AZNV512G TOSHIBA',
            'Micron 2450 NVMe',
          ]),
          vendor: 'NVMe',
          type: 'SSD',
          interface: 'NVMe',
          sizeBytes: diskGiB * 1_000_000_000,
          serial: `${rng.hex(4)}_${rng.hex(4)}_${rng.hex(4)}_${rng.hex(4)}.`.toUpperCase(),
          firmware: `${rng.int(1, 5)}B2QGXA7`,
          smart: 'Ok',
        },
      },
      volumes: {
        'C:': {
          fs: 'C:',
          type: 'NTFS',
          sizeBytes: (diskGiB - 1) * 1_000_000_000,
          usedGiB: rng.int(60, Math.floor(diskGiB * 0.8)),
          rw: true,
          label: 'Windows',
        },
      },
      drivers: windowsDrivers(rng, now),
      graphics: {
        controllers: {
          0: {
            vendor: 'Intel Corporation',
            model: 'Intel(R) Iris(R) Xe Graphics',
            vramMB: 128,
            driverVersion: `31.0.101.${rng.int(4000, 5600)}`,
          },
        },
      },
    },
    os: {
      platform: 'Windows',
      distro,
      release,
      build: `${release.split('.')[2]}.${rng.int(2000, 3500)}`,
      displayVersion,
      kernel: release,
      arch: 'x64',
      hostname,
      fqdn: `${hostname}.corp.example.com`,
      domain: 'CORP',
      uefi: true,
      osUuid: guid(rng),
      hardwareUuid: guid(rng).toUpperCase(),
      timezone: rng.pick(['Europe/Madrid', 'Europe/Berlin', 'Europe/London', 'America/New_York']),
      locale: rng.pick(['en-US', 'es-ES', 'de-DE', 'en-GB']),
      installedAt: isoDate(installedAt),
      bootedAt: Math.floor((now - rng.int(1, 72) * 3_600_000) / 60_000) * 60_000,
      productId: `00329-${rng.int(10000, 99999)}-${rng.int(10000, 99999)}-AA${rng.int(100, 999)}`,
      hotfixes,
    },
    network: {
      gateway: subnet.gateway,
      dnsServers: [subnet.gateway, '10.0.0.53'],
      dnsSuffix: 'corp.example.com',
      interfaces,
    },
    software,
    services,
    users: { accounts, sessions },
    security: {
      firewall: 'active',
      firewallProduct: 'Windows Defender Firewall',
      firewallProfiles: { domain: 'on', private: 'on', public: 'on' },
      antivirus: apps.some((a) => a.startsWith('CrowdStrike'))
        ? 'CrowdStrike Falcon'
        : 'Microsoft Defender Antivirus',
      antivirusState: 'on',
      realTimeProtection: true,
      antivirusSignatures: `1.411.${rng.int(100, 700)}.0`,
      antivirusSignaturesAt: isoMinute(now - rng.int(1, 20) * 3_600_000),
      secureBoot: 'on',
      tpm: '2.0',
      diskEncryption: rng.chance(0.85) ? 'bitlocker' : 'none-detected',
      uac: 'on',
    },
  };
  return { state, installable };
}

function windowsApp(line: string, rng: Rng, installedAtMs: number): [string, Entry] {
  const [template, publisher, version, sizeMB] = line.split('|') as [string, string, string, string];
  const arch = /\(x86\)| x86|- x86/.test(template) ? 'x86' : 'x64';
  const name = fill(template, rng);
  const item: Entry = {
    name,
    version: fill(version, rng),
    publisher,
    installedAt: isoDate(installedAtMs),
    arch,
  };
  // About half of desktop apps are MSI packages, identified by a product code.
  if (rng.chance(0.5)) item.productCode = `{${guid(rng).toUpperCase()}}`;
  item.source = 'programs';
  const size = Number(sizeMB);
  if (size >= 1) item.sizeKiB = Math.round(size * 1024 * (0.9 + rng.next() * 0.2));
  if (size >= 10)
    item.installLocation = `C:\\Program Files${arch === 'x86' ? ' (x86)' : ''}\\${publisher.split(/[ ,]/)[0]}\\${template.split(/[ (]/)[0]}`;
  return [`${slug(template)}@${arch}`, item];
}

/** Keyed by PnP device instance id, as Windows identifies devices. */
function windowsDrivers(rng: Rng, now: number): Collection {
  const drivers: Collection = {};
  for (const line of WINDOWS_DRIVERS) {
    if (!rng.chance(0.85)) continue;
    const [device, deviceClass, manufacturer, version, bus] = line.split('|') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const instanceId =
      bus === 'PCI'
        ? `PCI\\VEN_8086&DEV_${rng.hex(4).toUpperCase()}&SUBSYS_0B${rng.hex(2).toUpperCase()}1028&REV_${rng.hex(2).toUpperCase()}\\3&11583659&0&${rng.hex(2).toUpperCase()}`
        : `${bus}\\${device
            .replace(/[^A-Za-z0-9]+/g, '_')
            .slice(0, 24)
            .toUpperCase()}\\${rng.int(0, 9)}&${rng.hex(8).toUpperCase()}&0`;
    drivers[instanceId] = {
      device,
      class: deviceClass,
      manufacturer,
      driverVersion: fill(version, rng),
      driverDate: isoDate(now - rng.int(30, 900) * DAY),
      inf:
        manufacturer === 'Microsoft' || manufacturer.startsWith('(')
          ? `${deviceClass.toLowerCase()}.inf`
          : `oem${rng.int(1, 120)}.inf`,
      signed: true,
    };
  }
  return drivers;
}

function appService(appName: string): string | undefined {
  const match = Object.keys(WINDOWS_APP_SERVICES).find((prefix) => appName.startsWith(prefix));
  return match === undefined ? undefined : WINDOWS_APP_SERVICES[match];
}

// ---------------------------------------------------------------- Linux

const ARCH_ALL =
  /^(python3-|fonts-|tzdata|ca-certificates|locales|manpages|debconf|adduser|ucf|netbase|publicsuffix|pci\.ids|distro-info-data|.*-common$|.*-data$|.*-doc$|.*-l10n$|keyboard-configuration|console-setup|lsb-base|lsb-release|media-types|perl-modules|sensible-utils|gettext-base|init-system-helpers|software-properties-common|vim-runtime|ubuntu-keyring)/;

function buildLinux(rng: Rng, hostname: string, subnet: Subnet, now: number) {
  const [manufacturer, model, chassisType, biosVendor, biosVersion] = rng.pick(LINUX_HARDWARE).split('|') as [
    string,
    string,
    string,
    string,
    string,
  ];
  const [cpuName, cores, threads, ghz] = rng.pick(SERVER_CPUS).split('|') as [string, string, string, string];
  const [distro, release, codename, kernel] = rng.pick(UBUNTU_RELEASES).split('|') as [
    string,
    string,
    string,
    string,
  ];
  const virtual = manufacturer === 'QEMU' || manufacturer.startsWith('VMware');
  const memoryGiB = rng.pick([16, 32, 64, 128, 256]);
  const installedAt = now - rng.int(60, 1200) * DAY;

  const optional = rng.sample(UBUNTU_OPTIONAL_PACKAGES, rng.int(45, 85));
  const thirdParty = rng.sample(THIRD_PARTY_LINUX_PACKAGES, rng.int(1, 6));
  const installable = [
    ...UBUNTU_OPTIONAL_PACKAGES.filter((p) => !optional.includes(p)),
    ...THIRD_PARTY_LINUX_PACKAGES.filter((p) => !thirdParty.includes(p)),
  ];
  const software: Collection = {};
  for (const line of [...UBUNTU_BASE_PACKAGES, ...optional, ...thirdParty]) {
    const [key, item] = linuxPackage(
      line,
      rng,
      installedAt + rng.int(0, Math.floor((now - installedAt) / DAY)) * DAY,
    );
    software[key] = item;
  }

  const services: Collection = {};
  for (const line of LINUX_SERVICES) addService(services, line, 'linux');
  for (const pkg of [...optional, ...thirdParty.map((l) => l.split('|')[0] as string)]) {
    const service = LINUX_PACKAGE_SERVICES[pkg];
    if (service !== undefined) addService(services, service, 'linux');
  }

  const admin = `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}`;
  const accounts: Collection = {
    root: { uid: 0, home: '/root', shell: '/bin/bash' },
    ubuntu: { uid: 1000, fullName: 'Ubuntu', home: '/home/ubuntu', shell: '/bin/bash' },
    [admin]: { uid: 1001, home: `/home/${admin}`, shell: '/bin/bash' },
    ansible: { uid: 1002, home: '/home/ansible', shell: '/bin/bash' },
  };
  const sessions: Collection = rng.chance(0.4)
    ? {
        [`${admin}@pts/0`]: {
          user: admin,
          tty: 'pts/0',
          from: `10.0.${rng.int(0, 9)}.${rng.int(2, 250)}`,
          since: isoMinute(now - rng.int(1, 300) * 60_000),
        },
      }
    : {};

  const ip = hostAddress(subnet, rng);
  const interfaces: Collection = {
    [virtual ? 'ens18' : 'eno1']: nic(rng, {
      default: true,
      ip,
      subnet,
      speed: virtual ? 10000 : 1000,
      type: 'wired',
      linux: true,
    }),
  };
  if (!virtual) interfaces.eno2 = { mac: mac(rng, 'b4:96:91'), type: 'wired', operstate: 'down', mtu: 1500 };
  if (software['docker-ce:amd64'] !== undefined) {
    interfaces.docker0 = {
      mac: mac(rng, '02:42'),
      ipv4: ['172.17.0.1/16'],
      type: 'virtual',
      virtual: true,
      mtu: 1500,
    };
  }

  const disks: Collection = virtual
    ? { '/dev/vda': { name: 'vda', type: 'HDD', sizeBytes: rng.pick([64, 128, 256]) * GiB } }
    : Object.fromEntries(
        Array.from({ length: rng.int(1, 4) }, (_, i) => [
          `/dev/nvme${i}n1`,
          {
            name: 'Dell Ent NVMe v2 AGN RI U.2 1.92TB',
            vendor: 'Samsung',
            type: 'SSD',
            interface: 'NVMe',
            sizeBytes: 1_920_383_410_176,
            serial: rng.hex(14).toUpperCase(),
            firmware: '2.1.8',
            smart: 'Ok',
          },
        ]),
      );

  const state: Record<string, Entry> = {
    hardware: {
      system: {
        manufacturer,
        model,
        serial: rng.hex(7).toUpperCase(),
        uuid: guid(rng),
        virtual,
        ...(virtual ? { virtualHost: manufacturer === 'QEMU' ? 'KVM' : 'VMware' } : {}),
      },
      bios: {
        vendor: biosVendor,
        version: fill(biosVersion, rng),
        releaseDate: isoDate(now - rng.int(30, 900) * DAY),
      },
      baseboard: {
        manufacturer,
        model: virtual ? model : `0${rng.hex(5).toUpperCase()}`,
        serial: rng.hex(12).toUpperCase(),
      },
      chassis: { manufacturer, type: chassisType },
      cpu: {
        manufacturer: cpuName.startsWith('EPYC') ? 'AMD' : 'Intel',
        brand: cpuName,
        cores: Number(threads),
        physicalCores: Number(cores),
        processors: virtual ? 1 : rng.pick([1, 2]),
        speedMaxGHz: Number(ghz),
        virtualization: !virtual,
      },
      memory: {
        totalBytes: memoryGiB * GiB,
        modules: Object.fromEntries(
          Array.from({ length: virtual ? 1 : Math.min(8, memoryGiB / 16) }, (_, i) => [
            virtual ? 'DIMM 0' : `A${i + 1}`,
            virtual
              ? { sizeBytes: memoryGiB * GiB, type: 'RAM' }
              : {
                  sizeBytes: 16 * GiB,
                  type: 'DDR4',
                  clockMHz: 3200,
                  formFactor: 'DIMM',
                  manufacturer: 'Hynix',
                  partNumber: `HMA82GR7DJR8N-XN`,
                  serial: rng.hex(8).toUpperCase(),
                },
          ]),
        ),
      },
      disks,
      volumes: {
        '/': {
          fs: virtual ? '/dev/vda1' : '/dev/mapper/ubuntu--vg-ubuntu--lv',
          type: 'ext4',
          sizeBytes: 100 * GiB,
          usedGiB: rng.int(8, 70),
          rw: true,
        },
        '/boot/efi': {
          fs: virtual ? '/dev/vda15' : '/dev/nvme0n1p1',
          type: 'vfat',
          sizeBytes: 1_124_999_168,
          usedGiB: 0,
          rw: true,
        },
        ...(virtual
          ? {}
          : {
              '/var/lib': {
                fs: '/dev/mapper/data-lib',
                type: 'xfs',
                sizeBytes: 1_700 * GiB,
                usedGiB: rng.int(100, 1500),
                rw: true,
              },
            }),
      },
    },
    os: {
      platform: 'linux',
      distro,
      release,
      codename,
      kernel,
      arch: 'x64',
      hostname,
      fqdn: `${hostname}.dc1.example.com`,
      uefi: !virtual,
      osUuid: rng.hex(32),
      hardwareUuid: guid(rng),
      timezone: rng.pick(['Etc/UTC', 'Etc/UTC', 'Europe/Madrid']),
      installedAt: isoDate(installedAt),
      bootedAt: Math.floor((now - rng.int(1, 90) * DAY) / 60_000) * 60_000,
    },
    network: { gateway: subnet.gateway, dnsServers: ['127.0.0.53'], interfaces },
    software,
    services,
    users: { accounts, sessions },
    security: {
      firewall: software['ufw:amd64'] !== undefined && rng.chance(0.6) ? 'active' : 'unknown',
      ...(software['ufw:amd64'] !== undefined ? { firewallProduct: 'ufw' } : {}),
      secureBoot: virtual ? 'unsupported' : 'on',
      diskEncryption: virtual ? 'none-detected' : rng.pick(['luks', 'none-detected']),
      antivirus: software['clamav:amd64'] !== undefined ? 'ClamAV' : 'unknown',
      apparmor: 'enabled',
    },
  };
  return { state, installable };
}

function linuxPackage(line: string, rng: Rng, installedAtMs: number): [string, Entry] {
  const [name, publisher, versionTemplate, archField] = line.includes('|')
    ? (line.split('|') as [string, string, string, string])
    : [line, 'Ubuntu Developers', fleetVersion(line), ARCH_ALL.test(line) ? 'all' : 'amd64'];
  const item: Entry = {
    name,
    version: fill(versionTemplate, rng),
    arch: archField,
    publisher,
    sizeKiB: 20 + (hashString(`${name}size`) % (name.startsWith('lib') ? 3000 : 30000)),
    installedAt: isoDate(installedAtMs),
    source: 'dpkg',
  };
  return [`${name}:${archField}`, item];
}

/** The same package has the same version template across the fleet, as in a managed estate. */
function fleetVersion(name: string): string {
  const h = hashString(name);
  const major = h % 9;
  const minor = (h >>> 4) % 40;
  switch ((h >>> 10) % 4) {
    case 0:
      return `${major}.${minor}.${(h >>> 16) % 20}-${((h >>> 20) % 9) + 1}ubuntu0.22.04.#`;
    case 1:
      return `${major}.${minor}-${((h >>> 16) % 6) + 1}build#`;
    case 2:
      return `1:${major}.${minor}.${(h >>> 16) % 30}-${((h >>> 20) % 5) + 1}ubuntu#`;
    default:
      return `${major}.${minor}.${(h >>> 16) % 12}-${((h >>> 20) % 12) + 1}`;
  }
}

// ---------------------------------------------------------------- shared helpers

interface Subnet {
  readonly cidr: string;
  readonly gateway: string;
}

/** A handful of sites with a few VLANs each: enough neighbours per subnet for Wake-on-LAN. */
function siteSubnet(rng: Rng): Subnet {
  const site = rng.int(1, 4);
  const vlan = rng.int(10, 12);
  return { cidr: `10.${site}.${vlan}.0/24`, gateway: `10.${site}.${vlan}.1` };
}

function hostAddress(subnet: Subnet, rng: Rng): string {
  const [network, prefix] = subnet.cidr.split('/');
  const octets = String(network).split('.');
  octets[3] = String(rng.int(20, 250));
  return `${octets.join('.')}/${prefix}`;
}

function nic(
  rng: Rng,
  o: {
    default: boolean;
    ip: string | undefined;
    subnet: Subnet;
    speed: number;
    type: string;
    desc?: string;
    linux?: boolean;
  },
): Entry {
  const item: Entry = { mac: mac(rng, rng.pick(['3c:52:82', 'a4:bb:6d', '8c:8c:aa', 'f4:8e:38'])) };
  if (o.desc !== undefined) item.description = o.desc;
  if (o.ip !== undefined) {
    item.ipv4 = [o.ip];
    item.ipv6 = [linkLocal(rng)];
  }
  item.default = o.default;
  if (o.default) {
    item.ipv4Subnet = o.subnet.cidr;
    item.gateway = o.subnet.gateway;
  }
  item.type = o.type;
  item.operstate = o.ip !== undefined ? 'up' : 'down';
  if (o.ip !== undefined) item.speedMbps = o.speed;
  item.mtu = 1500;
  item.dhcp = !o.linux;
  return item;
}

function addService(services: Collection, line: string, platform: SimulatedPlatform): void {
  if (platform === 'windows') {
    const [name, displayName, startMode, running, account] = line.split('|') as [
      string,
      string,
      string,
      string,
      string,
    ];
    services[name] = {
      displayName,
      startMode,
      running: running === '1',
      account,
      path: servicePath(name, account),
    };
  } else {
    const [name, running, startMode] = line.split('|') as [string, string, string];
    services[name] = { running: running === '1', startMode };
  }
}

/** Most stock services share svchost groups; third-party ones run their own binary. */
function servicePath(name: string, account: string): string {
  if (/^[A-Z][a-z]/.test(name) && !name.includes('.')) {
    const group = account.includes('Network')
      ? 'NetworkService'
      : account.includes('LocalService')
        ? 'LocalServiceNetworkRestricted'
        : 'netsvcs';
    return `C:\\Windows\\system32\\svchost.exe -k ${group} -p`;
  }
  return `"C:\\Program Files\\${name}\\${name}.exe"`;
}

function fill(template: string, rng: Rng): string {
  return template.replace(/#/g, () => String(rng.int(0, 9)));
}

function bumpVersion(version: string, rng: Rng): string {
  const match = version.match(/^(.*?)(\d+)(\D*)$/);
  if (match === null) return `${version}.1`;
  return `${match[1]}${Number(match[2]) + rng.int(1, 3)}${match[3]}`;
}

function slug(template: string): string {
  return template
    .split(' ')
    .filter((word) => !word.includes('#'))
    .join(' ')
    .toLowerCase()
    .replace(/[^a-z0-9+]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function mac(rng: Rng, oui: string): string {
  const missing = 6 - oui.split(':').length;
  return [oui, ...Array.from({ length: missing }, () => rng.hex(2))].join(':');
}

function linkLocal(rng: Rng): string {
  return `fe80::${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}/64`.replace(/::0+(?=[0-9a-f])/, '::');
}

function guid(rng: Rng): string {
  return `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}
