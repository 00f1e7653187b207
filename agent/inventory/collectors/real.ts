/**
 * Collectors for the host the agent runs on, built on systeminformation. Volatile metrics (free
 * memory, load, per-process figures) are left to the analyzer: inventory keeps facts that change
 * rarely, so a diff only carries real changes. Collections are maps keyed by stable ids.
 */
import { readFile, readlink } from 'node:fs/promises';
import { networkInterfaces as nodeNetworkInterfaces, uptime } from 'node:os';
import si from 'systeminformation';
import { emptyJsonObject, type JsonObject, setKey } from '#protocol/json-object.ts';
import type { SectionCollector } from '../sections.ts';
import { compact, keyedBy } from './compact.ts';
import { collectInstalledSoftware } from './installed-software.ts';
import { ipv4Subnet, maskToPrefix } from './net.ts';

const GiB = 1024 ** 3;

export function realCollectors(): SectionCollector[] {
  return [
    { section: 'hardware', collect: collectHardware },
    { section: 'os', collect: collectOs },
    { section: 'network', collect: collectNetwork },
    { section: 'software', collect: () => collectInstalledSoftware() },
    { section: 'services', collect: collectServices },
    { section: 'users', collect: collectUsers },
    { section: 'security', collect: collectSecurity },
  ];
}

export async function collectHardware(): Promise<JsonObject> {
  const [system, bios, baseboard, chassis, cpu, mem, memLayout, diskLayout, blockDevices, fsSize] =
    await Promise.all([
      si.system(),
      si.bios(),
      si.baseboard(),
      si.chassis(),
      si.cpu(),
      si.mem(),
      si.memLayout(),
      si.diskLayout(),
      si.blockDevices(),
      si.fsSize(),
    ]);
  const physicalDisks =
    diskLayout.length > 0
      ? keyedBy(
          diskLayout,
          (d) => d.device || d.serialNum || d.name,
          (d) =>
            compact({
              name: d.name,
              vendor: d.vendor,
              type: d.type,
              interface: d.interfaceType,
              sizeBytes: d.size,
              serial: d.serialNum,
              firmware: d.firmwareRevision,
              smart: d.smartStatus === 'unknown' ? undefined : d.smartStatus,
            }),
        )
      : // Virtual machines and containers often have no diskLayout; block devices still name the disks.
        keyedBy(
          blockDevices.filter((b) => b.type === 'disk' && b.size > 0),
          (b) => b.device || b.name,
          (b) =>
            compact({ name: b.name, model: b.model, type: b.physical, sizeBytes: b.size, serial: b.serial }),
        );
  return {
    system: compact({
      manufacturer: system.manufacturer,
      model: system.model,
      version: system.version,
      serial: system.serial,
      uuid: system.uuid,
      sku: system.sku,
      virtual: system.virtual,
      virtualHost: system.virtualHost,
    }),
    bios: compact({ vendor: bios.vendor, version: bios.version, releaseDate: bios.releaseDate }),
    baseboard: compact({
      manufacturer: baseboard.manufacturer,
      model: baseboard.model,
      version: baseboard.version,
      serial: baseboard.serial,
    }),
    chassis: compact({ manufacturer: chassis.manufacturer, type: chassis.type, serial: chassis.serial }),
    cpu: compact({
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      family: cpu.family,
      model: cpu.model,
      stepping: cpu.stepping,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      processors: cpu.processors,
      speedMaxGHz: cpu.speedMax || cpu.speed || undefined,
      virtualization: cpu.virtualization,
    }),
    memory: {
      totalBytes: mem.total,
      modules: keyedBy(
        memLayout,
        (m, i) => m.bank || `slot${i}`,
        (m) =>
          compact({
            sizeBytes: m.size,
            type: m.type,
            clockMHz: m.clockSpeed || undefined,
            formFactor: m.formFactor,
            manufacturer: m.manufacturer,
            partNumber: m.partNum,
            serial: m.serialNum,
          }),
      ),
    },
    disks: physicalDisks,
    volumes: keyedBy(
      fsSize,
      (v) => v.mount,
      // Used space rounded to whole GiB: precise enough for inventory, and it does not churn diffs.
      (v) =>
        compact({ fs: v.fs, type: v.type, sizeBytes: v.size, usedGiB: Math.round(v.used / GiB), rw: v.rw }),
    ),
  };
}

export async function collectOs(): Promise<JsonObject> {
  const [osInfo, uuid, timezone] = await Promise.all([si.osInfo(), si.uuid(), timezoneName()]);
  const bootedAt = Math.round((Date.now() - uptime() * 1000) / 60_000) * 60_000;
  return compact({
    platform: osInfo.platform,
    distro: osInfo.distro,
    release: osInfo.release,
    codename: osInfo.codename,
    build: osInfo.build,
    servicePack: osInfo.servicepack,
    kernel: osInfo.kernel,
    arch: osInfo.arch,
    hostname: osInfo.hostname,
    fqdn: osInfo.fqdn,
    uefi: osInfo.uefi ?? undefined,
    osUuid: uuid.os,
    hardwareUuid: uuid.hardware,
    timezone,
    bootedAt,
  });
}

/**
 * The IANA zone /etc/localtime links to (what systeminformation reports on Linux too), else TZ.
 * Not si.time(): its Intl.DateTimeFormat call maps ~6 MB of ICU data into the agent for one string.
 */
export async function timezoneName(platform: NodeJS.Platform = process.platform): Promise<string> {
  if (platform !== 'linux') {
    const time = si.time();
    return time.timezoneName || time.timezone;
  }
  const link = await readlink('/etc/localtime').catch(() => undefined);
  const zone = link?.split('/zoneinfo/')[1] || process.env.TZ;
  // As systeminformation falls back: the offset, as in "GMT+0100".
  return zone || (new Date().toString().split(' ')[5] ?? '');
}

export async function collectNetwork(): Promise<JsonObject> {
  const [ifaces, gateway] = await Promise.all([si.networkInterfaces(), si.networkGatewayDefault()]);
  const addresses = nodeNetworkInterfaces();
  const interfaces = keyedBy(
    ifaces.filter((i) => !i.internal),
    (i) => i.iface,
    (i) => {
      // Node's own list has every address with its prefix length; si gives only the first of each.
      const assigned = addresses[i.iface] ?? [];
      const ipv4 = assigned.filter((a) => a.family === 'IPv4').map((a) => a.cidr ?? a.address);
      const ipv6 = assigned.filter((a) => a.family === 'IPv6').map((a) => a.cidr ?? a.address);
      if (ipv4.length === 0 && i.ip4) {
        const prefix = maskToPrefix(i.ip4subnet);
        ipv4.push(prefix === undefined ? i.ip4 : `${i.ip4}/${prefix}`);
      }
      const firstIpv4 = ipv4[0];
      return compact({
        name: i.ifaceName !== i.iface ? i.ifaceName : undefined,
        mac: i.mac,
        ipv4: ipv4.length > 0 ? ipv4 : undefined,
        ipv6: ipv6.length > 0 ? ipv6 : undefined,
        default: i.default,
        ipv4Subnet: i.default && firstIpv4 !== undefined ? ipv4Subnet(firstIpv4) : undefined,
        gateway: i.default ? gateway : undefined,
        type: i.type,
        virtual: i.virtual,
        speedMbps: i.speed ?? undefined,
        mtu: i.mtu ?? undefined,
        dhcp: i.dhcp,
      });
    },
  );
  return compact({ gateway, interfaces });
}

export async function collectServices(): Promise<JsonObject> {
  const services = await si.services('*');
  return keyedBy(
    [...services].sort((a, b) => (a.name < b.name ? -1 : 1)),
    (s) => s.name,
    (s) => compact({ running: s.running, startMode: s.startmode }),
  );
}

export async function collectUsers(platform: NodeJS.Platform = process.platform): Promise<JsonObject> {
  const [sessions, accounts] = await Promise.all([
    si.users(),
    platform === 'linux' ? readLocalAccounts() : Promise.resolve(undefined),
  ]);
  return compact({
    accounts,
    sessions: keyedBy(
      sessions,
      (s) => `${s.user}@${s.tty || 'console'}`,
      (s) =>
        compact({ user: s.user, tty: s.tty, from: s.ip, since: [s.date, s.time].filter(Boolean).join(' ') }),
    ),
  });
}

/** Human accounts (uid ≥ 1000) and root from the local user database. */
async function readLocalAccounts(): Promise<JsonObject | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => undefined);
  if (passwd === undefined) return undefined;
  const accounts = emptyJsonObject();
  for (const line of passwd.split('\n')) {
    const [name, , uidText, , gecos, home, shell] = line.split(':');
    const uid = Number(uidText);
    if (!name || !Number.isInteger(uid) || (uid !== 0 && (uid < 1000 || uid >= 65534))) continue;
    setKey(accounts, name, compact({ uid, fullName: gecos?.split(',')[0], home, shell }));
  }
  return accounts;
}

/**
 * Security posture where the OS exposes it without privileges. Anything we cannot establish is
 * reported as 'unknown' rather than guessed.
 */
export async function collectSecurity(platform: NodeJS.Platform = process.platform): Promise<JsonObject> {
  if (platform !== 'linux') {
    // systeminformation exposes no firewall / antivirus / encryption state on other platforms.
    return { firewall: 'unknown', antivirus: 'unknown', secureBoot: 'unknown', diskEncryption: 'unknown' };
  }
  const [firewall, secureBoot, diskEncryption] = await Promise.all([
    linuxFirewall(),
    linuxSecureBoot(),
    linuxDiskEncryption(),
  ]);
  return { ...firewall, secureBoot, diskEncryption, antivirus: 'unknown' };
}

async function linuxFirewall(): Promise<JsonObject> {
  const ufw = await readFile('/etc/ufw/ufw.conf', 'utf8').catch(() => undefined);
  if (ufw !== undefined && /^ENABLED=yes/m.test(ufw)) return { firewall: 'active', firewallProduct: 'ufw' };
  const services = await si.services('firewalld,nftables,iptables,netfilter-persistent');
  const running = services.find((s) => s.running);
  if (running !== undefined) return { firewall: 'active', firewallProduct: running.name };
  // Rules can be loaded without any of these services; without root we cannot read them.
  return { firewall: 'unknown' };
}

const SECURE_BOOT_VAR = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';

async function linuxSecureBoot(): Promise<string> {
  const efi = await readFile('/sys/firmware/efi/fw_platform_size', 'utf8').catch(() => undefined);
  const variable = await readFile(SECURE_BOOT_VAR).catch(() => undefined);
  if (variable !== undefined && variable.length >= 5) return variable[4] === 1 ? 'on' : 'off';
  // No EFI firmware at all: legacy BIOS boot has no secure boot.
  if (efi === undefined) return 'unsupported';
  return 'unknown';
}

async function linuxDiskEncryption(): Promise<string> {
  const devices = await si.blockDevices();
  if (devices.some((d) => d.type === 'crypt' || d.fsType === 'crypto_LUKS')) return 'luks';
  return devices.length > 0 ? 'none-detected' : 'unknown';
}
