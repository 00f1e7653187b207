/**
 * The Wake-on-LAN magic packet (AMD's "Magic Packet Technology" white paper): six 0xFF bytes, the
 * target's MAC sixteen times, then, for NICs that ask for one, a six-byte SecureOn password.
 * Pure: building the bytes is kept apart from putting them on the wire.
 */

export const MAC_BYTES = 6;
const SYNC_STREAM_BYTES = 6;
const MAC_REPEATS = 16;

/** 102 bytes; 108 with a SecureOn password. */
export const MAGIC_PACKET_BYTES = SYNC_STREAM_BYTES + MAC_REPEATS * MAC_BYTES;

export class InvalidMacError extends Error {
  override readonly name = 'InvalidMacError';
}

const SIX_HEX_PAIRS = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/**
 * `aa:bb:cc:dd:ee:ff` (or with dashes, either case) → 6 bytes. `what` names the value in the error
 * ("MAC", "SecureOn password") so the operator sees which one was wrong.
 */
export function parseMac(text: string, what = 'MAC'): Buffer {
  if (!SIX_HEX_PAIRS.test(text)) {
    throw new InvalidMacError(
      `${what} ${JSON.stringify(text.slice(0, 64))} is not six hex byte pairs separated by ':' (aa:bb:cc:dd:ee:ff)`,
    );
  }
  const separator = text[2] ?? ':';
  if (text.split(separator).length !== MAC_BYTES) {
    throw new InvalidMacError(`${what} ${JSON.stringify(text)} mixes ':' and '-' separators`);
  }
  return Buffer.from(text.split(separator).join(''), 'hex');
}

/** The datagram that wakes `mac`; `secureOn`, when given, is appended as the NIC expects it. */
export function magicPacket(mac: string, secureOn?: string): Buffer {
  const macBytes = parseMac(mac);
  const parts: Buffer[] = [Buffer.alloc(SYNC_STREAM_BYTES, 0xff)];
  for (let i = 0; i < MAC_REPEATS; i++) parts.push(macBytes);
  if (secureOn !== undefined) parts.push(parseMac(secureOn, 'SecureOn password'));
  return Buffer.concat(parts);
}
