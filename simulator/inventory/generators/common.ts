/** Helpers and units shared by the simulated Windows and Linux hosts. */
import type { Rng } from '../../rng.ts';

export type SimulatedPlatform = 'windows' | 'linux';

export const DAY = 86_400_000;
export const MICROSOFT_APPX_PUBLISHER =
  'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';
export const GiB = 1024 ** 3;

export type Entry = Record<string, unknown>;
export type Collection = Record<string, Entry>;

export interface Subnet {
  readonly cidr: string;
  readonly gateway: string;
}

/** A handful of sites with a few VLANs each: enough neighbours per subnet for Wake-on-LAN. */
export function siteSubnet(rng: Rng): Subnet {
  const site = rng.int(1, 4);
  const vlan = rng.int(10, 12);
  return { cidr: `10.${site}.${vlan}.0/24`, gateway: `10.${site}.${vlan}.1` };
}

export function hostAddress(subnet: Subnet, rng: Rng): string {
  const [network, prefix] = subnet.cidr.split('/');
  const octets = String(network).split('.');
  octets[3] = String(rng.int(20, 250));
  return `${octets.join('.')}/${prefix}`;
}

export function nic(
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

export function addService(services: Collection, line: string, platform: SimulatedPlatform): void {
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
export function servicePath(name: string, account: string): string {
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

export function fill(template: string, rng: Rng): string {
  return template.replace(/#/g, () => String(rng.int(0, 9)));
}

export function bumpVersion(version: string, rng: Rng): string {
  const match = version.match(/^(.*?)(\d+)(\D*)$/);
  if (match === null) return `${version}.1`;
  return `${match[1]}${Number(match[2]) + rng.int(1, 3)}${match[3]}`;
}

export function slug(template: string): string {
  return template
    .split(' ')
    .filter((word) => !word.includes('#'))
    .join(' ')
    .toLowerCase()
    .replace(/[^a-z0-9+]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function mac(rng: Rng, oui: string): string {
  const missing = 6 - oui.split(':').length;
  return [oui, ...Array.from({ length: missing }, () => rng.hex(2))].join(':');
}

export function linkLocal(rng: Rng): string {
  return `fe80::${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}/64`.replace(/::0+(?=[0-9a-f])/, '::');
}

export function guid(rng: Rng): string {
  return `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}
