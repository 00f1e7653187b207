/**
 * The API's one pagination cursor codec. A cursor is opaque to callers (base64url JSON), bounded in
 * size, and bound to what it was issued for: its scope names the route and the device, so a cursor
 * from one device's listing cannot page through another's, and its position is schema-checked
 * before it reaches a store key. Anything else is a 400, never a store error.
 */
import * as z from 'zod';
import { BadRequestError } from './errors.ts';

/** Longest cursor accepted, in characters; issued cursors are a few hundred at most. */
export const MAX_CURSOR_CHARS = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const INVALID = 'invalid cursor: pass back nextCursor unchanged, with the same route and device';

export function encodeCursor(scope: string, position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ s: scope, p: position }), 'utf8').toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(schema: S, raw: string, scope: string): z.infer<S> {
  if (raw.length === 0 || raw.length > MAX_CURSOR_CHARS || !BASE64URL.test(raw)) {
    throw new BadRequestError(INVALID);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError(INVALID);
  }
  const envelope = z
    .object({ s: z.literal(scope), p: z.unknown() })
    .strict()
    .safeParse(value);
  if (!envelope.success) throw new BadRequestError(INVALID);
  const position = schema.safeParse(envelope.data.p);
  if (!position.success) throw new BadRequestError(INVALID);
  return position.data;
}
