import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { decodeCursor, encodeCursor, MAX_CURSOR_CHARS } from '#lambdas/commons/cursor.ts';
import { BadRequestError } from '#lambdas/commons/errors.ts';

const Position = z.object({ sk: z.string().regex(/^change#\d{3}$/) }).strict();
const scope = 'GET /devices/dev-1/inventory/changes';
const raw = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('API cursor codec', () => {
  it('gives back the position it encoded, for the same scope', () => {
    const cursor = encodeCursor(scope, { sk: 'change#001' });

    expect(decodeCursor(Position, cursor, scope)).toEqual({ sk: 'change#001' });
  });

  it.each([
    ['issued for another device', encodeCursor('GET /devices/dev-2/inventory/changes', { sk: 'change#001' })],
    [
      'a sort key outside the schema (1,100 characters)',
      encodeCursor(scope, { sk: `change#${'9'.repeat(1100)}` }),
    ],
    ['a key the position does not have', encodeCursor(scope, { sk: 'change#001', deviceId: 'dev-2' })],
    ['an envelope key more', raw({ s: scope, p: { sk: 'change#001' }, x: 1 })],
    ['the old unscoped shape', raw({ sk: 'change#001' })],
    ['not base64url', 'change#001'],
    ['base64url of no JSON', Buffer.from('{"s":').toString('base64url')],
    ['empty', ''],
    ['over the size bound', 'A'.repeat(MAX_CURSOR_CHARS + 1)],
    ['a __proto__ position', raw({ s: scope, p: JSON.parse('{"__proto__":{"sk":"change#001"}}') })],
  ])('refuses a cursor %s with a 400-class error', (_what, cursor) => {
    expect(() => decodeCursor(Position, cursor, scope)).toThrow(BadRequestError);
  });
});
