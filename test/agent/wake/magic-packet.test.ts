import { describe, expect, it } from 'vitest';
import { InvalidMacError, MAGIC_PACKET_BYTES, magicPacket, parseMac } from '#agent/wake/magic-packet.ts';

// Written out by hand, not computed: six 0xFF, then the MAC sixteen times.
const MAC_HEX = '001a2b3c4d5e';
const EXPECTED_HEX = `${'ff'.repeat(6)}${MAC_HEX.repeat(16)}`;

describe('magic packet', () => {
  it('is six 0xFF bytes followed by the MAC sixteen times, 102 bytes', () => {
    const packet = magicPacket('00:1a:2b:3c:4d:5e');

    expect(packet.length).toBe(102);
    expect(MAGIC_PACKET_BYTES).toBe(102);
    expect(packet.toString('hex')).toBe(EXPECTED_HEX);
    expect([...packet.subarray(0, 8)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1a]);
    expect([...packet.subarray(96)]).toEqual([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
  });

  it('appends a SecureOn password as six more bytes, 108 in all', () => {
    const packet = magicPacket('00:1a:2b:3c:4d:5e', 'de:ad:be:ef:00:01');

    expect(packet.length).toBe(108);
    expect(packet.toString('hex')).toBe(`${EXPECTED_HEX}deadbeef0001`);
  });

  it('accepts upper case and dash separators', () => {
    expect(parseMac('00-1A-2B-3C-4D-5E').toString('hex')).toBe(MAC_HEX);
  });

  it.each([
    ['five bytes', '00:1a:2b:3c:4d'],
    ['seven bytes', '00:1a:2b:3c:4d:5e:6f'],
    ['not hex', '00:1a:2b:3c:4d:zz'],
    ['no separators', '001a2b3c4d5e'],
    ['mixed separators', '00:1a-2b:3c:4d:5e'],
    ['empty', ''],
  ])('refuses a MAC with %s, naming it', (_, mac) => {
    expect(() => magicPacket(mac)).toThrow(InvalidMacError);
    expect(() => magicPacket(mac)).toThrow(/^MAC ".*" is not six hex byte pairs|mixes/);
  });

  it('says when the SecureOn password is the bad value', () => {
    expect(() => magicPacket('00:1a:2b:3c:4d:5e', 'secret')).toThrow(/^SecureOn password "secret"/);
  });
});
