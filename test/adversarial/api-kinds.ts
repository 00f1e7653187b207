/**
 * Bad input at the operator API: every answer is a 4xx with a JSON message (never a 5xx), and bad
 * input never reaches the store as a key it was not meant to name.
 */
import { expect } from 'vitest';
import type { AdversarialContext, ApiAnswer, ApiRequest } from './context.ts';
import { type Kind, kind } from './kind.ts';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectAnswer(answer: ApiAnswer, status: number | readonly number[], message?: RegExp): void {
  const allowed = typeof status === 'number' ? [status] : status;
  expect(allowed, `status ${answer.status}: ${answer.text.slice(0, 200)}`).toContain(answer.status);
  const body = answer.body as { message?: unknown };
  expect(typeof body?.message, `a JSON {"message"} body: ${answer.text.slice(0, 200)}`).toBe('string');
  if (message) expect(body.message).toMatch(message);
}

/** One request; the answer must have `status` and a message matching `message`. */
function answers(
  name: string,
  path: string | ((ctx: AdversarialContext) => string | Promise<string>),
  status: number | readonly number[],
  message?: RegExp,
  request: ApiRequest = {},
): Kind {
  return kind('api', name, async (ctx) => {
    const target = typeof path === 'string' ? path : await path(ctx);
    expectAnswer(await ctx.api(target, request), status, message);
  });
}

const BAD_REQUEST = 400;
const NOT_FOUND_OR_BAD = [400, 404] as const;

/** A real changes cursor of the victim device (it has at least one change). */
async function changesCursorOf(ctx: AdversarialContext, deviceId: string): Promise<string> {
  const a = await ctx.api(`/devices/${deviceId}/inventory/changes?limit=1`);
  const page = a.body as { nextCursor?: string; changes: unknown[] };
  if (page.nextCursor) return page.nextCursor;
  // One change only: forge nothing, reuse the scope shape the API issues for this device.
  return b64url({
    s: `GET /devices/${deviceId}/inventory/changes`,
    p: { sk: 'change#0000000000000#AAAAAAAAAA#000000000001' },
  });
}

const INJECTIONS = [
  "' OR '1'='1",
  '"; DROP TABLE devices; --',
  ['$', '{jndi:ldap://127.0.0.1/a}'].join(''),
  '<script>alert(1)</script>',
  '{"$gt":""}',
  'attribute_exists(deviceId)',
];

/** The sessions routes: ids, seq, times and cursors that must be refused (or not found), never a 5xx. */
function sessionsKinds(): Kind[] {
  const sessions = (ctx: AdversarialContext) => `/devices/${ctx.victimId}/sessions`;
  return [
    answers('sessions: unknown session', (ctx) => `${sessions(ctx)}/no-such-session`, 404, /not known/),
    answers('sessions: unknown batch', (ctx) => `${sessions(ctx)}/no-such-session/batches/1`, 404),
    ...INJECTIONS.map((s) =>
      answers(
        `sessions: injection string as a session id: ${s}`,
        (ctx) => `${sessions(ctx)}/${encodeURIComponent(s)}/batches`,
        NOT_FOUND_OR_BAD,
      ),
    ),
    answers(
      'sessions: session id of 10,000 characters',
      (ctx) => `${sessions(ctx)}/${'s'.repeat(10_000)}`,
      [400, 414, 431],
    ),
    answers('sessions: seq past ten digits', (ctx) => `${sessions(ctx)}/s-1/batches/99999999999`, 400, /seq/),
    answers('sessions: seq of 400 digits', (ctx) => `${sessions(ctx)}/s-1/batches/${'9'.repeat(400)}`, 400),
    answers('sessions: negative seq', (ctx) => `${sessions(ctx)}/s-1/batches/-1`, 400, /seq/),
    answers('sessions: seq 1e3', (ctx) => `${sessions(ctx)}/s-1/batches/1e3`, 400, /seq/),
    answers('sessions: unknown format', (ctx) => `${sessions(ctx)}/s-1/batches/1?format=../../etc`, 400),
    answers('sessions: from that is not a time', (ctx) => `${sessions(ctx)}?from=__proto__`, 400, /from/),
    answers(
      'sessions: to before from',
      (ctx) => `${sessions(ctx)}?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z`,
      400,
    ),
    answers(
      'sessions: cursor that is not a cursor',
      (ctx) => `${sessions(ctx)}?cursor=garbage`,
      400,
      /cursor/,
    ),
    answers(
      'sessions: cursor with a 1,100-character session id',
      (ctx) =>
        `${sessions(ctx)}?cursor=${b64url({ s: `GET /devices/${ctx.victimId}/sessions`, p: { lastSeen: 1, sessionId: 'a'.repeat(1100) } })}`,
      400,
      /cursor/,
    ),
    answers(
      "sessions: another device's sessions cursor",
      (ctx) =>
        `/devices/${ctx.controlId}/sessions?cursor=${b64url({ s: `GET /devices/${ctx.victimId}/sessions`, p: { lastSeen: 1, sessionId: 's-1' } })}`,
      400,
      /cursor/,
    ),
    answers(
      'sessions: batches cursor with a huge afterSeq',
      (ctx) =>
        `${sessions(ctx)}/s-1/batches?cursor=${b64url({ s: `GET /devices/${ctx.victimId}/sessions/s-1/batches`, p: { afterSeq: 1e300 } })}`,
      400,
      /cursor/,
    ),
  ];
}

export const apiKinds: Kind[] = [
  answers('no token', '/devices', 401, /Unauthorized/, { token: null }),
  answers('wrong token', '/devices', 401, /Unauthorized/, { token: 'not-the-token' }),
  answers('Basic instead of Bearer', '/devices', 401, /Unauthorized/, {
    token: null,
    headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
  }),
  ...[
    ['bad JSON body on a GET route', '{"not json'],
    ['control bytes as a body', '\u0000\u0001'],
    ['__proto__ keys in a JSON body', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
  ].map(([name, body]) =>
    kind('api', `${name}: never 5xx`, async (ctx) => {
      const a = await ctx.api(`/devices/${ctx.victimId}`, {
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(a.status).toBeLessThan(500);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    }),
  ),
  answers('2 MB body: over the API limit (handler 413)', '/devices', 413, /Request Entity Too Large/, {
    body: Buffer.alloc(2 * 1024 * 1024, 0x61),
  }),
  answers('7 MB body: 413', '/devices', 413, /Request Entity Too Large/, {
    body: Buffer.alloc(7 * 1024 * 1024, 0x61),
  }),
  answers("11 MB body: over API Gateway's 10 MB (server 413)", '/devices', 413, /Request Entity Too Large/, {
    body: Buffer.alloc(11 * 1024 * 1024, 0x61),
  }),
  answers('device id with forbidden characters', '/devices/dev%20one', BAD_REQUEST, /invalid path/),
  answers('device id of 10,000 characters', `/devices/${'a'.repeat(10_000)}`, [400, 414, 431]),
  answers('NUL in a device id', '/devices/dev%00one', BAD_REQUEST, /invalid path/),
  answers('unicode device id', `/devices/${encodeURIComponent('dév-日本-😀')}`, BAD_REQUEST, /invalid path/),
  answers('encoded ".." as a device id', '/devices/%2e%2e/inventory', NOT_FOUND_OR_BAD),
  answers('encoded slash inside a device id', '/devices/a%2Fb/inventory', NOT_FOUND_OR_BAD),
  answers('malformed percent-encoding', '/devices/%E0%A4%A', NOT_FOUND_OR_BAD),
  ...INJECTIONS.map((s) =>
    answers(
      `injection string as a device id: ${s}`,
      `/devices/${encodeURIComponent(s)}/inventory`,
      BAD_REQUEST,
      /invalid path/,
    ),
  ),
  answers(
    'injection string in a filter',
    `/devices?status=${encodeURIComponent("online' OR 1=1")}`,
    BAD_REQUEST,
    /invalid query/,
  ),
  answers('unknown query parameter', '/devices?drop=1', BAD_REQUEST, /invalid query/),
  answers(
    '__proto__ and constructor as query keys',
    '/devices?__proto__=x&constructor=y',
    BAD_REQUEST,
    /invalid query/,
  ),
  answers('limit out of range', '/devices?limit=1000000000', BAD_REQUEST, /limit/),
  answers('limit not a number', '/devices/victim-x/inventory/changes?limit=abc', BAD_REQUEST, /limit/),
  answers(
    'sections=__proto__',
    (ctx) => `/devices/${ctx.victimId}/inventory?sections=__proto__`,
    BAD_REQUEST,
    /section/,
  ),
  answers('cursor that is not a cursor', '/devices?cursor=garbage', BAD_REQUEST, /cursor/),
  answers('cursor over the size bound', `/devices?cursor=${'A'.repeat(5000)}`, BAD_REQUEST),
  answers(
    'changes cursor with a 1,100-character sort key',
    (ctx) =>
      `/devices/${ctx.victimId}/inventory/changes?cursor=${b64url({
        s: `GET /devices/${ctx.victimId}/inventory/changes`,
        p: { sk: `change#${'9'.repeat(1100)}` },
      })}`,
    BAD_REQUEST,
    /cursor/,
  ),
  answers(
    'changes cursor of the old unscoped shape with a 1,100-character sort key',
    (ctx) =>
      `/devices/${ctx.victimId}/inventory/changes?cursor=${b64url({ sk: `change#${'9'.repeat(1100)}` })}`,
    BAD_REQUEST,
    /cursor/,
  ),
  answers(
    "changes cursor naming a shard key (not the route's keys)",
    (ctx) =>
      `/devices/${ctx.victimId}/inventory/changes?cursor=${b64url({
        s: `GET /devices/${ctx.victimId}/inventory/changes`,
        p: { sk: 'shard#software#0#0' },
      })}`,
    BAD_REQUEST,
    /cursor/,
  ),
  answers(
    "another device's changes cursor",
    async (ctx) =>
      `/devices/${ctx.controlId}/inventory/changes?cursor=${await changesCursorOf(ctx, ctx.victimId)}`,
    BAD_REQUEST,
    /cursor/,
  ),
  answers(
    'a device-list cursor on the changes route',
    (ctx) =>
      `/devices/${ctx.victimId}/inventory/changes?cursor=${b64url({ s: 'GET /devices', p: { after: 'a' } })}`,
    BAD_REQUEST,
    /cursor/,
  ),
  ...sessionsKinds(),
  answers('unknown route', '/admin', 404, /Not Found/),
  answers('wrong method on a known path', '/devices', 404, /Not Found/, { method: 'DELETE' }),
  kind('api', 'burst: 300 concurrent requests, none 5xx', async (ctx) => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        ctx.api(i % 3 === 0 ? '/devices?limit=200' : `/devices/${ctx.victimId}/inventory`),
      ),
    );
    const failed = answers.filter((a) => a.status >= 500);
    expect(failed.map((a) => `${a.status} ${a.text.slice(0, 80)}`)).toEqual([]);
  }),
  kind(
    'api',
    'burst: 1,000 concurrent inventory reads of a large inventory, none 500',
    async (ctx) => {
      const id = ctx.id('big');
      const software: Record<string, unknown> = {};
      for (let i = 0; i < 600; i++)
        software[`pkg-${i}`] = { name: `package-${i}`, version: '1.0.0', pad: 'x'.repeat(80) };
      await ctx.seedInventory(id, { software });
      const outcomes = await Promise.all(
        Array.from({ length: 1000 }, () =>
          ctx.api(`/devices/${id}/inventory`).then(
            (a) => (a.status === 200 ? '200' : `${a.status} ${a.text.slice(0, 60)}`),
            (err: Error) => `no answer: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
          ),
        ),
      );
      const tally: Record<string, number> = {};
      for (const outcome of outcomes) tally[outcome] = (tally[outcome] ?? 0) + 1;
      expect(JSON.stringify(tally), 'every read answered 200').toBe('{"200":1000}');
    },
    { slow: true },
  ),
];
