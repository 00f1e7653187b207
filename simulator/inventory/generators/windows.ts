import type { Rng } from '../../rng.ts';
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
} from './catalog-windows.ts';
import {
  addService,
  type Collection,
  DAY,
  type Entry,
  fill,
  GiB,
  guid,
  hostAddress,
  isoDate,
  isoMinute,
  MICROSOFT_APPX_PUBLISHER,
  mac,
  nic,
  type Subnet,
  slug,
} from './common.ts';

export function buildWindows(rng: Rng, hostname: string, subnet: Subnet, now: number) {
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

export function windowsApp(line: string, rng: Rng, installedAtMs: number): [string, Entry] {
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
export function windowsDrivers(rng: Rng, now: number): Collection {
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

export function appService(appName: string): string | undefined {
  const match = Object.keys(WINDOWS_APP_SERVICES).find((prefix) => appName.startsWith(prefix));
  return match === undefined ? undefined : WINDOWS_APP_SERVICES[match];
}
