/**
 * IPv4 arithmetic for the address index: addresses as 32-bit numbers, CIDR blocks as ranges, and the
 * zero-padded dotted form (`010.001.012.034`) whose string order is the numeric order, so that one
 * DynamoDB `BETWEEN` on a sort key covers a subnet.
 */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `10.1.12.34` → its 32-bit value; undefined for anything else. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The sortable form: every octet three digits. */
export function paddedIpv4(value: number): string {
  return formatIpv4(value)
    .split('.')
    .map((o) => o.padStart(3, '0'))
    .join('.');
}

export const firstOctet = (value: number): number => Math.floor(value / 2 ** 24);

export interface Ipv4Block {
  /** Network address. */
  readonly first: number;
  /** Broadcast address. */
  readonly last: number;
  readonly prefix: number;
}

export function blockOf(address: number, prefix: number): Ipv4Block {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return { first, last: first + size - 1, prefix };
}

/** `10.1.12.0/24` (or a host address with its prefix, `10.1.12.34/24`) → its block; undefined if malformed. */
export function parseCidr(text: string): Ipv4Block | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (address === undefined || prefixText === undefined || extra !== undefined) return undefined;
  if (!/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const value = parseIpv4(address);
  if (value === undefined || prefix > 32) return undefined;
  return blockOf(value, prefix);
}

/** The block in CIDR form, by its network address: `10.1.12.0/24`. */
export const cidrOf = (block: Ipv4Block): string => `${formatIpv4(block.first)}/${block.prefix}`;

export const inBlock = (value: number, block: Ipv4Block): boolean =>
  value >= block.first && value <= block.last;
