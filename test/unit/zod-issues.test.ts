import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { formatZodIssues, zodIssueLines } from '#protocol/zod-issues.ts';

const Schema = z.object({ a: z.string(), b: z.object({ c: z.number() }), d: z.boolean(), e: z.boolean() });
const errorOf = (schema: z.ZodType, value: unknown): z.ZodError => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

describe('formatZodIssues', () => {
  it('names each failing field by its dotted path, on one line', () => {
    const error = errorOf(Schema, { a: 1, b: { c: 'x' }, d: true, e: true });

    expect(formatZodIssues(error)).toBe(
      'a: Invalid input: expected string, received number; b.c: Invalid input: expected number, received string',
    );
  });

  it('names a wrong value itself by the root name the caller gives', () => {
    expect(formatZodIssues(errorOf(Schema, 'text'))).toMatch(/^\(root\): /);
    expect(formatZodIssues(errorOf(Schema, 'text'), { root: 'query' })).toMatch(/^query: /);
  });

  it('keeps at most the limit and counts the rest', () => {
    const error = errorOf(Schema, {});

    expect(zodIssueLines(error, { limit: 2 })).toEqual([
      expect.stringMatching(/^a: /),
      expect.stringMatching(/^b: /),
      'and 2 more',
    ]);
  });

  it('does not throw on a symbol in a path', () => {
    const error = { issues: [{ path: [Symbol('s'), 0], message: 'bad' }] };

    expect(formatZodIssues(error)).toBe('Symbol(s).0: bad');
  });
});
