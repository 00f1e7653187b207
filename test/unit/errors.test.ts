import { describe, expect, it } from 'vitest';
import { DecodeError, isPermanentError, ProtocolError, SchemaError } from '#lambdas/commons/errors.ts';
import { CommandResultSchema } from '#protocol/commands.ts';
import { decodeJson } from '#protocol/encoding.ts';

const named = (name: string) => Object.assign(new Error(name), { name });

describe('error classification', () => {
  it('takes errors that are a property of the input as permanent', () => {
    for (const err of [
      new DecodeError('x'),
      new SchemaError('x'),
      new ProtocolError('x'),
      new RangeError('Maximum call stack size exceeded'),
      named('ValidationException'),
    ]) {
      expect(isPermanentError(err), err.name).toBe(true);
    }
  });

  it('leaves everything else to be retried', () => {
    for (const err of [
      new Error('socket hang up'),
      named('TimeoutError'),
      named('ProvisionedThroughputExceededException'),
      named('ThrottlingException'),
      named('ResourceNotFoundException'),
      'not even an error',
    ]) {
      expect(isPermanentError(err)).toBe(false);
    }
  });
});

describe('command results', () => {
  it('keep a __proto__ key in their detail as data', () => {
    const text = '{"commandId":"c1","status":"failed","at":1,"detail":{"__proto__":{"polluted":1}}}';
    const result = CommandResultSchema.parse(decodeJson(Buffer.from(text)));
    expect(Object.hasOwn(result.detail ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
