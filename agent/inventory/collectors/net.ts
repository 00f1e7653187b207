/** IPv4 helpers for CIDR subnets (what Wake-on-LAN bridge selection matches on). */

export function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** '192.168.1.23/24' → '192.168.1.0/24'. */
export function ipv4Subnet(cidr: string): string | undefined {
  const [ip, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const value = ip === undefined ? undefined : ipv4ToInt(ip);
  if (value === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return `${intToIpv4(Math.floor(value / size) * size)}/${prefix}`;
}

/** '255.255.255.0' → 24; undefined for a non-contiguous mask. */
export function maskToPrefix(mask: string): number | undefined {
  const value = ipv4ToInt(mask);
  if (value === undefined) return undefined;
  const bits = value.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}
