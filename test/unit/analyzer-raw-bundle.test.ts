import { describe, expect, it } from 'vitest';
import {
  BundleError,
  frameOf,
  packBundle,
  rawBundleKey,
  readBundleIndex,
} from '#lambdas/analyzer/raw-bundle.ts';

const frame = (text: string) => new Uint8Array(Buffer.from(text));

describe('raw analyzer bundles', () => {
  it('keeps every frame byte for byte, found by its index entry or by the footer', () => {
    const inputs = [
      { deviceId: 'd1', sessionId: 's1', seq: 1, frame: frame('FP\x01\x02first') },
      { deviceId: 'd2', sessionId: 's9', seq: 7, frame: frame('') },
      { deviceId: 'd1', sessionId: 's1', seq: 2, frame: frame('FP\x01\x02second, longer') },
    ];
    const { body, index } = packBundle(inputs);
    expect(readBundleIndex(body)).toEqual(index);
    inputs.forEach((input, i) => {
      const entry = index[i];
      if (entry === undefined) throw new Error('missing entry');
      expect(entry).toMatchObject({ deviceId: input.deviceId, sessionId: input.sessionId, seq: input.seq });
      expect(Buffer.from(frameOf(body, entry))).toEqual(Buffer.from(input.frame));
    });
  });

  it('refuses what is not a bundle and ranges outside it', () => {
    expect(() => readBundleIndex(frame('hello'))).toThrow(BundleError);
    const { body } = packBundle([{ deviceId: 'd', sessionId: 's', seq: 1, frame: frame('abc') }]);
    const truncated = body.subarray(2);
    expect(() => readBundleIndex(truncated)).toThrow(BundleError);
    expect(() => frameOf(body, { offset: 1, length: body.byteLength })).toThrow(/outside/);
  });

  it('is named by day and invocation', () => {
    expect(rawBundleKey('2024-06-03', 'abc-123')).toBe('analyzer/raw/dt=2024-06-03/abc-123.fpb');
  });
});
