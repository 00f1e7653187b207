/**
 * Bad input at the operator API's commands, labels and policies routes: each is a 4xx with a message
 * naming what is wrong (never a 5xx), and each changes nothing — no command created, no label moved,
 * no policy version stored or assigned.
 */
import { expect } from 'vitest';
import type { AdversarialContext, ApiAnswer } from './context.ts';
import { type Kind, kind } from './kind.ts';

const json = (value: unknown): string => JSON.stringify(value);

function expect4xx(answer: ApiAnswer, status: number | readonly number[], message?: RegExp): void {
  const allowed = typeof status === 'number' ? [status] : status;
  expect(allowed, `status ${answer.status}: ${answer.text.slice(0, 300)}`).toContain(answer.status);
  const body = answer.body as { message?: unknown };
  expect(typeof body?.message, `a JSON {"message"} body: ${answer.text.slice(0, 200)}`).toBe('string');
  if (message) expect(body.message).toMatch(message);
}

const post = (ctx: AdversarialContext, path: string, body: string | Buffer, method = 'POST') =>
  ctx.api(path, { method, body, headers: { 'content-type': 'application/json' } });

/** The newest command ids: a refused POST must leave this list as it was. */
async function recentCommands(ctx: AdversarialContext): Promise<string[]> {
  const answer = await ctx.api('/commands?limit=100');
  expect(answer.status, `GET /commands: ${answer.text.slice(0, 200)}`).toBe(200);
  return (answer.body as { items: { commandId: string }[] }).items.map((c) => c.commandId);
}

/** POST /commands with `body` (a function of the context for ids) is refused and creates nothing. */
function refusedCommand(
  name: string,
  body: (ctx: AdversarialContext) => unknown,
  message: RegExp,
  status: number | readonly number[] = 400,
): Kind {
  return kind('api', `POST /commands: ${name}`, async (ctx) => {
    const before = await recentCommands(ctx);
    const raw = body(ctx);
    expect4xx(await post(ctx, '/commands', typeof raw === 'string' ? raw : json(raw)), status, message);
    expect(await recentCommands(ctx), 'no command created').toEqual(before);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').toBeUndefined();
  });
}

const ping = (target: unknown, extra: Record<string, unknown> = {}) => ({ type: 'ping', target, ...extra });

/** A command id that is well formed and names nothing. */
const UNKNOWN_COMMAND = 'cmd-0000000000adversarial';

async function labelsOf(ctx: AdversarialContext, deviceId: string): Promise<unknown> {
  const answer = await ctx.api(`/devices/${deviceId}`);
  expect(answer.status).toBe(200);
  return (answer.body as { labels?: unknown }).labels ?? null;
}

/** PATCH /devices/{victim} with `body` is refused and the victim's labels stay as they were. */
function refusedLabels(name: string, body: string, message: RegExp): Kind {
  return kind('api', `PATCH /devices/{id}: ${name}`, async (ctx) => {
    const before = await labelsOf(ctx, ctx.victimId);
    expect4xx(await post(ctx, `/devices/${ctx.victimId}`, body, 'PATCH'), 400, message);
    expect(await labelsOf(ctx, ctx.victimId), 'labels unchanged').toEqual(before);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').toBeUndefined();
  });
}

/** PUT /policies/{fresh id} with `body` is refused and stores nothing (the policy stays unknown). */
function refusedPolicy(name: string, body: unknown, message: RegExp): Kind {
  return kind('api', `PUT /policies/{id}: ${name}`, async (ctx) => {
    const id = ctx.id('adv-pol').toLowerCase();
    expect4xx(await post(ctx, `/policies/${id}`, json(body), 'PUT'), 400, message);
    expect4xx(await ctx.api(`/policies/${id}`), 404, /does not exist/);
  });
}

async function storedPolicy(ctx: AdversarialContext): Promise<string> {
  const id = ctx.id('adv-pol').toLowerCase();
  const put = await post(ctx, `/policies/${id}`, json({ heartbeatIntervalSec: 120 }), 'PUT');
  expect(put.status, put.text).toBe(200);
  return id;
}

const commandKinds: Kind[] = [
  refusedCommand('unknown type', () => ping({ all: true }, { type: 'reboot-everything' }), /type/),
  refusedCommand('no type', () => ({ target: { all: true } }), /type/),
  refusedCommand('empty selector', () => ping({}), /selector is empty/),
  refusedCommand('selector that is not an object', () => ping('all'), /target/),
  refusedCommand('bad CIDR', () => ping({ subnet: '10.1.2.300/24' }), /subnet must be an IPv4 CIDR/),
  refusedCommand('CIDR without a prefix', () => ping({ subnet: '10.1.2.0' }), /subnet/),
  refusedCommand('a /4 subnet', () => ping({ subnet: '16.0.0.0/4' }), /\/8 or longer/),
  refusedCommand('unknown selector key', () => ping({ all: true, everyoneElse: true }), /everyoneElse/),
  refusedCommand('all: false', () => ping({ all: false }), /all/),
  refusedCommand(
    '1,001 device ids',
    () => ping({ deviceIds: Array.from({ length: 1001 }, (_, i) => `d-${i}`) }),
    /deviceIds|1000/,
  ),
  refusedCommand('empty deviceIds', () => ping({ deviceIds: [] }), /deviceIds/),
  refusedCommand('device id with a slash', () => ping({ deviceIds: ['a/b'] }), /deviceIds/),
  refusedCommand(
    'unknown device ids, named',
    () => ping({ deviceIds: ['adv-no-such-device-1'] }),
    /unknown device ids.*adv-no-such-device-1/,
  ),
  refusedCommand('label with a space', () => ping({ group: 'lab one' }), /label/),
  refusedCommand(
    'bad MAC',
    (ctx) => ({ type: 'wake', target: { deviceIds: [ctx.victimId] }, params: { mac: '3c:52:82:0a:1b' } }),
    /MAC|type/,
  ),
  refusedCommand(
    'MAC with letters past f',
    (ctx) => ({ type: 'wake', target: { deviceIds: [ctx.victimId] }, params: { mac: 'zz:52:82:0a:1b:2c' } }),
    /MAC|type/,
  ),
  refusedCommand(
    'bad SecureOn password',
    (ctx) => ({
      type: 'wake',
      target: { deviceIds: [ctx.victimId] },
      params: { secureOn: 'password123' },
    }),
    /MAC|secureOn|type/,
  ),
  refusedCommand(
    'params on a type that takes none',
    (ctx) => ping({ deviceIds: [ctx.victimId] }, { params: { mac: '3c:52:82:0a:1b:2c' } }),
    /params|mac/,
  ),
  refusedCommand(
    'expiresInSec 0',
    (ctx) => ping({ deviceIds: [ctx.victimId] }, { expiresInSec: 0 }),
    /expiresInSec/,
  ),
  refusedCommand(
    'expiresInSec of 30 days',
    (ctx) => ping({ deviceIds: [ctx.victimId] }, { expiresInSec: 30 * 86_400 }),
    /expiresInSec/,
  ),
  refusedCommand(
    'expiresInSec not an integer',
    (ctx) => ping({ deviceIds: [ctx.victimId] }, { expiresInSec: 60.5 }),
    /expiresInSec/,
  ),
  refusedCommand(
    'expiresInSec as a string',
    (ctx) => ping({ deviceIds: [ctx.victimId] }, { expiresInSec: '3600' }),
    /expiresInSec/,
  ),
  refusedCommand(
    '__proto__ in params',
    (ctx) =>
      `{"type":"ping","target":{"deviceIds":["${ctx.victimId}"]},"params":{"__proto__":{"polluted":1}}}`,
    /params|__proto__|Unrecognized/i,
  ),
  refusedCommand(
    'constructor in params',
    (ctx) =>
      `{"type":"ping","target":{"deviceIds":["${ctx.victimId}"]},"params":{"constructor":{"prototype":{"polluted":1}}}}`,
    /params|constructor|Unrecognized/i,
  ),
  refusedCommand(
    '__proto__ in target',
    () => '{"type":"ping","target":{"__proto__":{"all":true,"polluted":1}}}',
    /target|selector|__proto__|Unrecognized/i,
  ),
  refusedCommand(
    'constructor in target',
    () => '{"type":"ping","target":{"all":true,"constructor":{"prototype":{"polluted":1}}}}',
    /target|constructor|Unrecognized/i,
  ),
  refusedCommand('__proto__ at the top', () => '{"__proto__":{"type":"ping","target":{"all":true}}}', /type/),
  refusedCommand('body that is not JSON', () => '{"type":"ping",', /JSON|body/),
  refusedCommand(
    'body that is an array',
    () => '[{"type":"ping","target":{"all":true}}]',
    /body|object|type/,
  ),
  refusedCommand('bad clientToken', () => ping({ all: true }, { clientToken: 'a b/c' }), /clientToken/),
  refusedCommand(
    'rollout at 0 per minute',
    () => ping({ all: true }, { rollout: { maxPerMinute: 0 } }),
    /maxPerMinute/,
  ),
  refusedCommand(
    'abort over 100 %',
    () =>
      ping({ all: true }, { rollout: { maxPerMinute: 10, abort: { failedPercent: 150, afterDevices: 5 } } }),
    /failedPercent/,
  ),
  kind('api', 'POST /commands: 2 MB body, 413 and nothing created', async (ctx) => {
    const before = await recentCommands(ctx);
    const body = json(ping({ all: true }, { clientToken: 'huge', padding: 'x'.repeat(2 * 1024 * 1024) }));
    expect4xx(await post(ctx, '/commands', body), 413, /Too Large/);
    expect(await recentCommands(ctx)).toEqual(before);
  }),
  kind('api', 'POST /commands: 200 KB of device ids, 400 and nothing created', async (ctx) => {
    const before = await recentCommands(ctx);
    const body = json(ping({ deviceIds: Array.from({ length: 1000 }, (_, i) => `${'d'.repeat(190)}-${i}`) }));
    expect4xx(await post(ctx, '/commands', body), [400, 413]);
    expect(await recentCommands(ctx)).toEqual(before);
  }),
  kind(
    'api',
    'POST /commands: clientToken reused with another body is a 409, the first stays',
    async (ctx) => {
      const token = ctx.id('tok');
      const first = await post(
        ctx,
        '/commands',
        json(ping({ deviceIds: [ctx.controlId] }, { clientToken: token })),
      );
      expect(first.status, first.text).toBe(202);
      const { commandId } = first.body as { commandId: string };
      const before = await recentCommands(ctx);
      const other = await post(
        ctx,
        '/commands',
        json({ type: 'inventory-resync', target: { deviceIds: [ctx.controlId] }, clientToken: token }),
      );
      expect4xx(other, 409, new RegExp(`${token}.*${commandId}.*different request`));
      expect(await recentCommands(ctx), 'no second command').toEqual(before);
      const shown = await ctx.api(`/commands/${commandId}`);
      expect((shown.body as { command: { type: string } }).command.type).toBe('ping');
      await post(ctx, `/commands/${commandId}/cancel`, '{}');
    },
  ),
  kind('api', 'GET /commands/{id}: unknown id is a 404', async (ctx) => {
    expect4xx(await ctx.api(`/commands/${UNKNOWN_COMMAND}`), 404, /cmd-0000000000adversarial/);
  }),
  ...[
    ['not a cmd- id', 'job-1234567890'],
    ['injection string', encodeURIComponent("cmd-' OR '1'='1")],
    ['__proto__', '__proto__'],
    ['10,000 characters', `cmd-${'a'.repeat(10_000)}`],
  ].map(([name, id]) =>
    kind('api', `GET /commands/{id}: malformed id (${name})`, async (ctx) => {
      expect4xx(await ctx.api(`/commands/${id}`), [400, 404, 414, 431]);
    }),
  ),
  kind('api', 'GET /commands: unknown type filter', async (ctx) => {
    expect4xx(await ctx.api('/commands?type=__proto__'), 400, /type/);
  }),
  kind('api', 'GET /commands/{id}: cursor of another command', async (ctx) => {
    const cursor = Buffer.from(json({ s: `GET /commands/${UNKNOWN_COMMAND}`, p: { after: 'a' } })).toString(
      'base64url',
    );
    const first = await post(ctx, '/commands', json(ping({ deviceIds: [ctx.controlId] })));
    const { commandId } = first.body as { commandId: string };
    expect4xx(await ctx.api(`/commands/${commandId}?cursor=${cursor}`), 400, /cursor/);
    await post(ctx, `/commands/${commandId}/cancel`, '{}');
  }),
  kind('api', 'POST /commands/{id}/cancel: unknown command is a 404', async (ctx) => {
    expect4xx(await post(ctx, `/commands/${UNKNOWN_COMMAND}/cancel`, '{}'), 404);
  }),
  kind('api', 'POST /commands/{id}/cancel: twice, both answered, canceled once', async (ctx) => {
    const created = await post(
      ctx,
      '/commands',
      json(ping({ deviceIds: [ctx.controlId] }, { expiresInSec: 600 })),
    );
    expect(created.status, created.text).toBe(202);
    const { commandId } = created.body as { commandId: string };
    const first = await post(ctx, `/commands/${commandId}/cancel`, json({ reason: 'adversarial' }));
    const second = await post(ctx, `/commands/${commandId}/cancel`, json({ reason: 'again' }));
    expect(first.status, first.text).toBeLessThan(300);
    expect(second.status, second.text).toBeLessThan(500);
    const shown = await ctx.api(`/commands/${commandId}`);
    expect(shown.status).toBe(200);
    const { command, devices } = shown.body as {
      command: { status: string; targeted: number };
      devices: { items: { history: { state: string }[] }[] };
    };
    expect(command.status).toBe('canceled');
    for (const device of devices.items) {
      expect(device.history.filter((h) => h.state === 'canceled').length).toBeLessThanOrEqual(1);
    }
  }),
  kind('api', 'POST /commands/{id}/cancel: bad body', async (ctx) => {
    expect4xx(
      await post(ctx, `/commands/${UNKNOWN_COMMAND}/cancel`, json({ reason: 'x', force: true })),
      [400, 404],
    );
  }),
];

const labelKinds: Kind[] = [
  refusedLabels('label with a space', json({ group: 'lab one' }), /label/),
  refusedLabels('label of 65 characters', json({ site: 's'.repeat(65) }), /label/),
  refusedLabels('label that is a number', json({ group: 42 }), /group/),
  refusedLabels('33 tags', json({ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }), /tags/),
  refusedLabels('unknown field', json({ owner: 'eve' }), /owner|Unrecognized/),
  refusedLabels('empty patch', '{}', /nothing to change/),
  refusedLabels(
    '__proto__ as a field',
    '{"__proto__":{"group":"evil","polluted":1}}',
    /nothing to change|__proto__/,
  ),
  refusedLabels(
    'constructor as a field',
    '{"constructor":{"prototype":{"polluted":1}}}',
    /constructor|Unrecognized/,
  ),
  refusedLabels('__proto__ as a tag', json({ tags: ['__proto__'] }), /label/),
  refusedLabels('not JSON', '{"group":', /JSON|body/),
  kind('api', 'PATCH /devices/{id}: unknown device is a 404', async (ctx) => {
    expect4xx(await post(ctx, '/devices/adv-no-such-device', json({ group: 'g' }), 'PATCH'), 404);
    expect4xx(await ctx.api('/devices/adv-no-such-device'), 404);
  }),
];

const policyKinds: Kind[] = [
  refusedPolicy('heartbeat interval of 1 s', { heartbeatIntervalSec: 1 }, /heartbeatIntervalSec/),
  refusedPolicy(
    'inventory interval of 30 days',
    { inventoryIntervalSec: 30 * 86_400 },
    /inventoryIntervalSec/,
  ),
  refusedPolicy('analyzer sample interval of 0', { analyzer: { sampleIntervalSec: 0 } }, /sampleIntervalSec/),
  refusedPolicy('negative interval', { heartbeatIntervalSec: -60 }, /heartbeatIntervalSec/),
  refusedPolicy('unknown field', { rebootNow: true }, /rebootNow|Unrecognized/),
  refusedPolicy('a version of its own', { version: 999_999 }, /version|Unrecognized/),
  refusedPolicy('proxy that is not http', { proxies: [{ url: 'file:///etc/passwd' }] }, /proxy/),
  refusedPolicy(
    '17 proxies',
    { proxies: Array.from({ length: 17 }, (_, i) => ({ url: `http://p${i}:3128` })) },
    /proxies/,
  ),
  kind('api', 'PUT /policies/{id}: __proto__ in the body', async (ctx) => {
    const id = ctx.id('adv-pol').toLowerCase();
    const a = await post(
      ctx,
      `/policies/${id}`,
      '{"__proto__":{"polluted":1},"heartbeatIntervalSec":1}',
      'PUT',
    );
    expect4xx(a, 400, /heartbeatIntervalSec|__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect4xx(await ctx.api(`/policies/${id}`), 404);
  }),
  ...[
    ['upper case', 'Default'],
    ['dot dot', '..'],
    ['__proto__', '__proto__'],
    ['64 characters', 'p'.repeat(64)],
  ].map(([name, id]) =>
    kind('api', `PUT /policies/{id}: bad id (${name})`, async (ctx) => {
      expect4xx(await post(ctx, `/policies/${id}`, json({ heartbeatIntervalSec: 60 }), 'PUT'), [400, 404]);
    }),
  ),
  kind('api', 'POST /policies/{id}/assign: unknown device, nothing assigned', async (ctx) => {
    const id = await storedPolicy(ctx);
    const a = await post(
      ctx,
      `/policies/${id}/assign`,
      json({ deviceIds: [ctx.victimId, 'adv-no-such-device'] }),
    );
    expect4xx(a, [400, 404], /adv-no-such-device/);
    const shown = await ctx.api(`/policies/${id}`);
    expect((shown.body as { assignedTo: { deviceIds: string[] } }).assignedTo.deviceIds).toEqual([]);
  }),
  kind('api', 'POST /policies/{id}/assign: unknown policy is a 404', async (ctx) => {
    expect4xx(
      await post(ctx, '/policies/adv-no-such-policy/assign', json({ default: true })),
      404,
      /does not exist/,
    );
  }),
  kind('api', 'POST /policies/{id}/assign: empty assignment', async (ctx) => {
    const id = await storedPolicy(ctx);
    expect4xx(await post(ctx, `/policies/${id}/assign`, '{}'), 400, /assign to/);
  }),
  kind('api', 'POST /policies/{id}/assign: default: false and a bad group', async (ctx) => {
    const id = await storedPolicy(ctx);
    expect4xx(await post(ctx, `/policies/${id}/assign`, json({ default: false, groups: ['a b'] })), 400);
    const shown = await ctx.api(`/policies/${id}`);
    expect((shown.body as { assignedTo: unknown }).assignedTo).toEqual({
      deviceIds: [],
      groups: [],
      default: false,
    });
  }),
];

export const commandApiKinds: Kind[] = [...commandKinds, ...labelKinds, ...policyKinds];
