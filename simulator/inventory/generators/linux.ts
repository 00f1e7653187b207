import { hashString, type Rng } from '../../rng.ts';
import {
  LINUX_HARDWARE,
  LINUX_PACKAGE_SERVICES,
  LINUX_SERVICES,
  SERVER_CPUS,
  THIRD_PARTY_LINUX_PACKAGES,
  UBUNTU_BASE_PACKAGES,
  UBUNTU_OPTIONAL_PACKAGES,
  UBUNTU_RELEASES,
} from './catalog-linux.ts';
import { FIRST_NAMES, LAST_NAMES } from './catalog-windows.ts';
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
  mac,
  nic,
  type Subnet,
} from './common.ts';

export const ARCH_ALL =
  /^(python3-|fonts-|tzdata|ca-certificates|locales|manpages|debconf|adduser|ucf|netbase|publicsuffix|pci\.ids|distro-info-data|.*-common$|.*-data$|.*-doc$|.*-l10n$|keyboard-configuration|console-setup|lsb-base|lsb-release|media-types|perl-modules|sensible-utils|gettext-base|init-system-helpers|software-properties-common|vim-runtime|ubuntu-keyring)/;

export function buildLinux(rng: Rng, hostname: string, subnet: Subnet, now: number) {
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

export function linuxPackage(line: string, rng: Rng, installedAtMs: number): [string, Entry] {
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
export function fleetVersion(name: string): string {
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
