import { describe, expect, it } from 'vitest';
import {
  Codec,
  DecodeError,
  decodeFramed,
  decodeJson,
  encodeFramed,
  MAX_PAYLOAD_BYTES,
} from '#protocol/encoding.ts';

describe('framed encoding', () => {
  it.each([Codec.Json, Codec.Brotli, Codec.Gzip])('round-trips a value with codec %s', (codec) => {
    const value = { a: 1, nested: { list: ['x', 'y'], s: 'é∑' } };
    expect(decodeFramed(encodeFramed(value, codec))).toEqual(value);
  });

  it('rejects a payload without the FP magic with a precise reason', () => {
    expect(() => decodeFramed(Buffer.from('{"kind":"full"}'))).toThrow(/missing FP magic/);
  });

  it('rejects an unknown codec', () => {
    expect(() => decodeFramed(Buffer.from([0x46, 0x50, 1, 9, 1, 2]))).toThrow(DecodeError);
  });

  it('rejects a body that does not decompress', () => {
    expect(() => decodeFramed(Buffer.from([0x46, 0x50, 1, Codec.Brotli, 1, 2, 3, 4]))).toThrow(
      /does not decompress/,
    );
  });

  it('rejects payloads over the IoT Core limit', () => {
    expect(() => decodeJson(Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20))).toThrow(/limit/);
  });

  it('rejects invalid JSON', () => {
    expect(() => decodeJson(Buffer.from('{nope'))).toThrow(/not valid JSON/);
  });
});
