import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  Codec,
  DecodeError,
  decodeFramed,
  decodeJson,
  encodeFramed,
  FRAME_MAGIC,
  FRAME_VERSION,
  MAX_DECODED_BYTES,
  MAX_PAYLOAD_BYTES,
} from '#protocol/encoding.ts';
import { exceededJsonBound, JSON_BOUNDS } from '#protocol/json-bounds.ts';
import { fullReport, initialState } from '../inventory/fixtures.ts';

/** A frame around JSON text written by hand (JSON.stringify itself overflows on such depths). */
const frameText = (text: string, codec = Codec.Brotli): Buffer => {
  const raw = Buffer.from(text, 'utf8');
  const body = codec === Codec.Brotli ? brotliCompressSync(raw) : codec === Codec.Gzip ? gzipSync(raw) : raw;
  return Buffer.concat([FRAME_MAGIC, Buffer.from([FRAME_VERSION, codec]), body]);
};
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const manyKeys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"${i}":0`).join(',')}}`;

function decodeError(decode: () => unknown): DecodeError {
  try {
    decode();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('payload bounds at decode time', () => {
  it.each([5_000, 100_000])('refuses arrays nested %i levels with the reason', (depth) => {
    const frame = frameText(nestedArrays(depth));
    expect(frame.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(decodeError(() => decodeFramed(frame)).message).toMatch(/nesting deeper than 64 levels/);
  });

  it.each([5_000, 100_000])('refuses objects nested %i levels with the reason', (depth) => {
    expect(decodeError(() => decodeFramed(frameText(nestedObjects(depth)))).message).toMatch(
      /nesting deeper than 64 levels/,
    );
  });

  it('refuses deep nesting in plain JSON payloads (heartbeats) too', () => {
    expect(decodeError(() => decodeJson(Buffer.from(nestedObjects(5_000)))).message).toMatch(
      /nesting deeper/,
    );
    expect(decodeError(() => decodeJson(Buffer.from(`[1,${nestedArrays(100)}]`))).message).toMatch(/nesting/);
  });

  it('accepts nesting up to the bound', () => {
    expect(() => decodeJson(Buffer.from(nestedArrays(JSON_BOUNDS.maxDepth)))).not.toThrow();
    expect(() => decodeJson(Buffer.from(nestedArrays(JSON_BOUNDS.maxDepth + 1)))).toThrow(DecodeError);
  });

  it('refuses an object with too many keys, and too many keys in total', () => {
    const one = decodeError(() => decodeFramed(frameText(manyKeys(JSON_BOUNDS.maxKeysPerObject + 1))));
    expect(one.message).toMatch(/an object with more than 20000 keys/);
    expect(
      exceededJsonBound(Buffer.from(`[${manyKeys(10)},${manyKeys(10)}]`), {
        ...JSON_BOUNDS,
        maxKeysTotal: 15,
      }),
    ).toMatch(/more than 15 keys in total/);
  });

  it('refuses a too long array', () => {
    const text = `[${'0,'.repeat(JSON_BOUNDS.maxArrayLength)}0]`;
    expect(decodeError(() => decodeFramed(frameText(text))).message).toMatch(/an array longer than 20000/);
  });

  it('refuses a huge string, as value or as key, counting escapes as written', () => {
    const big = 'a'.repeat(JSON_BOUNDS.maxStringBytes + 1);
    expect(decodeError(() => decodeFramed(frameText(`{"k":"${big}"}`))).message).toMatch(
      /a string of 32769 bytes/,
    );
    expect(decodeError(() => decodeFramed(frameText(`{"${big}":1}`))).message).toMatch(/a string/);
    // An escaped quote does not end the string.
    expect(
      exceededJsonBound(Buffer.from(`["${'\\"'.repeat(20)}"]`), { ...JSON_BOUNDS, maxStringBytes: 30 }),
    ).toMatch(/a string of 40 bytes/);
    // Brackets inside strings are not nesting.
    expect(exceededJsonBound(Buffer.from(`["${'['.repeat(1000)}"]`))).toBeUndefined();
  });

  it.each([Codec.Brotli, Codec.Gzip])('refuses a decompression bomb (codec %s)', (codec) => {
    const bomb = frameText(' '.repeat(64 * 1024 * 1024), codec);
    expect(bomb.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(decodeError(() => decodeFramed(bomb)).message).toBe(
      `body decompresses to more than ${MAX_DECODED_BYTES} bytes`,
    );
  });

  it('refuses invalid UTF-8', () => {
    expect(decodeError(() => decodeJson(Buffer.from([0x22, 0xff, 0xfe, 0x22]))).message).toMatch(/UTF-8/);
  });

  it('accepts a realistic ~75 KB inventory with room to spare', () => {
    const report = fullReport(initialState(1), { epoch: 'e1', seq: 1 });
    const json = Buffer.from(JSON.stringify(report));
    expect(json.length).toBeGreaterThan(60_000);
    expect(exceededJsonBound(json)).toBeUndefined();
    expect(decodeFramed(encodeFramed(report))).toEqual(report);
  });
});
