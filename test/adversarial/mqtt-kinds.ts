/**
 * Bad input on every device topic, plain and through Basic Ingest. Each kind uses devices of its
 * own; the runner checks after each one that the control device works and the victim is untouched.
 */
import { gzipSync } from 'node:zlib';
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { Codec, MAX_DECODED_BYTES, MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { streamPublish } from '../support/mqtt-raw.ts';
import { waitFor } from '../support/wait.ts';
import type { AdversarialContext } from './context.ts';
import { type Kind, kind } from './kind.ts';
import {
  deeplyNestedJson,
  diffReport,
  framed,
  framedText,
  fullReport,
  heartbeat,
  keyedAtEveryDepth,
  rawFrame,
  type Sections,
} from './messages.ts';

type Payload = string | Buffer;
type Route = 'plain' | 'ingest';
const topicFor = (topic: string, route: Route): string =>
  route === 'ingest' ? basicIngestTopic(topic) : topic;

/** Publishes QoS 1 as `deviceId` and waits for the PUBACK. */
async function sendAs(
  ctx: AdversarialContext,
  deviceId: string,
  topic: string,
  payload: Payload,
): Promise<void> {
  const client = await ctx.device(deviceId);
  await client.publishAsync(topic, payload, { qos: 1 });
  await client.endAsync();
}

/** Bad input that must be dead-lettered with a reason matching `reason`, nothing stored. */
function deadLettered(
  name: string,
  topicOf: (id: string) => string,
  payload: (id: string) => Payload,
  reason: RegExp,
  options: { waitsFor?: string } = {},
): Kind {
  return kind(
    'mqtt',
    name,
    async (ctx) => {
      const id = ctx.id('adv');
      await sendAs(ctx, id, topicOf(id), payload(id));
      const entry = await ctx.deadLetters.expect(id, reason);
      expect(entry.event, 'the dead letter keeps the original event').toBeTruthy();
      const inventory = await ctx.api(`/devices/${id}/inventory`);
      expect(inventory.status, 'nothing stored from bad input').toBe(404);
    },
    options,
  );
}

/** Keys sorted at every depth, so stored and sent content compare whatever the key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** Device data that must be stored and served back exactly (keys are data). */
function storedExactly(name: string, sections: () => Sections, options: { waitsFor?: string } = {}): Kind {
  return kind(
    'mqtt',
    name,
    async (ctx) => {
      const id = ctx.id('adv');
      const sent = sections();
      await sendAs(ctx, id, topics.report(id), framed(fullReport(sent, { epoch: 'e1', seq: 1 })));
      const answer = await waitFor(
        async () => {
          if (ctx.deadLetters.forDevice(id).length > 0) {
            throw new Error(`dead-lettered instead of stored: ${ctx.deadLetters.forDevice(id)[0]?.reason}`);
          }
          const a = await ctx.api(`/devices/${id}/inventory`);
          return a.status === 200 ? a : undefined;
        },
        { timeoutMs: 12_000, intervalMs: 100, what: `inventory of ${id}` },
      );
      expect(canonical((answer.body as { sections: unknown }).sections)).toBe(canonical(sent));
    },
    options,
  );
}

/** The connection is closed with the given lifecycle disconnect reason, nothing routed. */
async function expectClosed(
  ctx: AdversarialContext,
  id: string,
  client: MqttClient,
  reason: string,
): Promise<void> {
  await waitFor(() => !client.connected, { timeoutMs: 5000, what: `${id} to be disconnected` });
  const answer = await waitFor(
    async () => {
      const a = await ctx.api(`/devices/${id}`);
      return (a.body as { disconnectReason?: string }).disconnectReason ? a : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `the disconnect event of ${id}` },
  );
  expect((answer.body as { disconnectReason?: string }).disconnectReason).toBe(reason);
}

function oversize(name: string, route: Route, bytes: number, streamed: boolean): Kind {
  return kind(
    'mqtt',
    name,
    async (ctx) => {
      const id = ctx.id('adv');
      const client = await ctx.device(id);
      const topic = topicFor(topics.heartbeat(id), route);
      const pubacks: unknown[] = [];
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback') pubacks.push(packet);
      });
      if (streamed) {
        const result = await streamPublish(client, topic, bytes);
        expect(result.closedEarly, 'closed before the payload was all sent').toBe(true);
        expect(result.written, 'bytes the broker read before closing').toBeLessThan(4 * 1024 * 1024);
      } else {
        client.publish(topic, Buffer.alloc(bytes, 0x7b), { qos: 1 });
      }
      await expectClosed(ctx, id, client, 'CLIENT_ERROR');
      expect(pubacks, 'never acknowledged').toEqual([]);
      expect((await ctx.api(`/devices/${id}`)).body).not.toHaveProperty('lastHeartbeatAt');
    },
    streamed ? { slow: false } : {},
  );
}

/** Publishing on another device's topics: refused, connection closed, the victim untouched. */
function forbidden(name: string, topicOf: (victim: string) => string): Kind {
  return kind('mqtt', name, async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    client.publish(
      topicOf(ctx.victimId),
      framed(fullReport({ os: { forged: true } }, { epoch: 'x', seq: 99 })),
      {
        qos: 1,
      },
    );
    await expectClosed(ctx, id, client, 'FORBIDDEN_ACCESS');
  });
}

const hb = (id: string, route: Route = 'plain') => topicFor(topics.heartbeat(id), route);
const report = (id: string, route: Route = 'plain') => topicFor(topics.report(id), route);
const hbJson = (value: unknown): string => JSON.stringify(value);
const INVALID_JSON = /not valid JSON/;
const SCHEMA = /expected|invalid|required|unrecognized/i;
const DECODE = /frame|codec|decompress|magic|version|JSON|larger than|exceeds/i;

/** `depth` levels of nesting in an otherwise valid report section. */
const nestedReport = (depth: number): Buffer =>
  framedText(
    `{"schema":1,"kind":"full","epoch":"e1","seq":1,"collectedAt":1,"agentVersion":"1","errors":[],"sections":{"os":${deeplyNestedJson(depth)}}}`,
  );

export const mqttKinds: Kind[] = [
  // Heartbeats, plain and through Basic Ingest.
  ...(['plain', 'ingest'] as const).flatMap((route) => [
    deadLettered(
      `heartbeat (${route}): not JSON`,
      (id) => hb(id, route),
      () => 'hello{',
      INVALID_JSON,
    ),
    deadLettered(
      `heartbeat (${route}): empty payload`,
      (id) => hb(id, route),
      () => '',
      INVALID_JSON,
    ),
    deadLettered(
      `heartbeat (${route}): JSON null`,
      (id) => hb(id, route),
      () => 'null',
      SCHEMA,
    ),
    deadLettered(
      `heartbeat (${route}): wrong types`,
      (id) => hb(id, route),
      () => hbJson({ ...heartbeat(), reportSeq: 'seven', uptimeSec: -1 }),
      SCHEMA,
    ),
  ]),
  deadLettered('heartbeat: JSON array', hb, () => '[1,2,3]', SCHEMA),
  deadLettered('heartbeat: schema-invalid (fields missing)', hb, () => hbJson({ schema: 1 }), SCHEMA),
  deadLettered('heartbeat: unknown schema version', hb, () => hbJson({ ...heartbeat(), schema: 2 }), SCHEMA),
  deadLettered(
    'heartbeat: huge string (120 KB hostname)',
    hb,
    () => hbJson({ ...heartbeat(), hostname: 'h'.repeat(120 * 1024) }),
    // The bounded decoder refuses a string this long before the schema sees the hostname.
    /hostname|too (big|large)|exceeds the limit/i,
  ),
  deadLettered(
    'heartbeat: deep nesting (20,000 levels)',
    hb,
    () => deeplyNestedJson(20_000),
    /too deep|nesting deeper/i,
  ),
  deadLettered(
    'heartbeat: invalid UTF-8 bytes',
    hb,
    () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    /not valid UTF-8/,
  ),
  deadLettered(
    'heartbeat: NUL and unicode in the session id',
    hb,
    () => hbJson({ ...heartbeat(), sessions: [{ id: 'a\u0000b\u{1F600}', user: 'u', state: 'active' }] }),
    SCHEMA,
  ),
  deadLettered(
    'heartbeat: __proto__ key at the top',
    hb,
    () =>
      `{"__proto__":{"schema":1},${hbJson(heartbeat()).slice(1, -1).replace('"schema":1', '"schema":"1"')}}`,
    SCHEMA,
  ),
  kind('mqtt', 'heartbeat: __proto__/constructor keys do not pollute', async (ctx) => {
    const id = ctx.id('adv');
    const body = hbJson(heartbeat()).replace(
      '"connectivity":{',
      '"constructor":{"prototype":{"polluted":1}},"connectivity":{"__proto__":{"polluted":1},',
    );
    await sendAs(ctx, id, hb(id), `{"__proto__":{"polluted":1},${body.slice(1)}`);
    await waitFor(async () => (await ctx.api(`/devices/${id}`)).status === 200, { timeoutMs: 10_000 });
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').toBeUndefined();
  }),
  kind('mqtt', 'heartbeat: clock skew (sentAt a year ahead) does not move lastSeen', async (ctx) => {
    const id = ctx.id('adv');
    await sendAs(ctx, id, hb(id), hbJson(heartbeat({ sentAt: Date.now() + 365 * 86_400_000 })));
    const answer = await waitFor(
      async () => {
        const a = await ctx.api(`/devices/${id}`);
        return (a.body as { lastHeartbeatAt?: number }).lastHeartbeatAt === undefined ? undefined : a;
      },
      { timeoutMs: 10_000 },
    );
    expect((answer.body as { lastHeartbeatAt: number }).lastHeartbeatAt).toBeLessThanOrEqual(Date.now());
  }),
  kind('mqtt', 'heartbeat: clock skew (sentAt 0) accepted on the broker clock', async (ctx) => {
    const id = ctx.id('adv');
    const before = Date.now();
    await sendAs(ctx, id, hb(id), hbJson(heartbeat({ sentAt: 0 })));
    const answer = await waitFor(
      async () => {
        const a = await ctx.api(`/devices/${id}`);
        return (a.body as { lastHeartbeatAt?: number }).lastHeartbeatAt === undefined ? undefined : a;
      },
      { timeoutMs: 10_000 },
    );
    expect((answer.body as { lastHeartbeatAt: number }).lastHeartbeatAt).toBeGreaterThanOrEqual(
      before - 1000,
    );
  }),
  kind('mqtt', 'heartbeat: 200 replays of one heartbeat', async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    const payload = hbJson(heartbeat());
    await Promise.all(Array.from({ length: 200 }, () => client.publishAsync(hb(id), payload, { qos: 1 })));
    await client.endAsync();
    await ctx.t.cloud.idle();
    expect((await ctx.api(`/devices/${id}`)).status).toBe(200);
    expect(ctx.deadLetters.forDevice(id)).toEqual([]);
  }),

  // Oversize: IoT Core's 128 KB limit, before buffering.
  oversize('heartbeat (plain): 128 KB + 1 payload', 'plain', MAX_PAYLOAD_BYTES + 1, false),
  oversize('heartbeat (ingest): 128 KB + 1 payload', 'ingest', MAX_PAYLOAD_BYTES + 1, false),
  oversize('heartbeat: 64 MB payload, streamed', 'plain', 64 * 1024 * 1024, true),

  // Reports.
  ...(['plain', 'ingest'] as const).flatMap((route) => [
    deadLettered(
      `report (${route}): not a frame (bare JSON)`,
      (id) => report(id, route),
      () => JSON.stringify(fullReport({}, { epoch: 'e', seq: 1 })),
      /magic/,
    ),
    deadLettered(
      `report (${route}): truncated brotli`,
      (id) => report(id, route),
      () => {
        const whole = framed(fullReport({ os: { name: 'x'.repeat(5000) } }, { epoch: 'e', seq: 1 }));
        return whole.subarray(0, Math.floor(whole.length / 2));
      },
      /decompress/,
    ),
  ]),
  deadLettered('report: empty payload', report, () => Buffer.alloc(0), /magic/),
  deadLettered(
    'report: unsupported frame version',
    report,
    () => rawFrame(Codec.Json, Buffer.from('{}'), 9),
    /version/,
  ),
  deadLettered('report: unknown codec', report, () => rawFrame(7, Buffer.from('{}')), /codec/),
  deadLettered(
    'report: truncated gzip',
    report,
    () => {
      const whole = framed(fullReport({ os: { n: 'y'.repeat(5000) } }, { epoch: 'e', seq: 1 }), Codec.Gzip);
      return whole.subarray(0, whole.length - 20);
    },
    /decompress/,
  ),
  deadLettered(
    'report: brotli decompression bomb (> 4 MB decoded)',
    report,
    () => framedText(`"${'0'.repeat(MAX_DECODED_BYTES + 1024)}"`),
    DECODE,
  ),
  deadLettered(
    'report: gzip decompression bomb (> 4 MB decoded)',
    report,
    () => rawFrame(Codec.Gzip, gzipSync(Buffer.alloc(MAX_DECODED_BYTES * 4, 0x30))),
    DECODE,
  ),
  deadLettered(
    'report: framed garbage that is not JSON',
    report,
    () => rawFrame(Codec.Json, Buffer.from('{nope')),
    INVALID_JSON,
  ),
  deadLettered(
    'report: schema-invalid (no seq)',
    report,
    () => framed({ schema: 1, kind: 'full', epoch: 'e' }),
    SCHEMA,
  ),
  deadLettered(
    'report: wrong types (seq is a string, sections an array)',
    report,
    () => framed({ ...fullReport({}, { epoch: 'e', seq: 1 }), seq: '1', sections: [] }),
    SCHEMA,
  ),
  deadLettered(
    'report: unknown section name',
    report,
    () => framed(fullReport({ bogus: { a: 1 } } as Sections, { epoch: 'e', seq: 1 })),
    SCHEMA,
  ),
  deadLettered(
    'report: diff whose base is not older',
    report,
    () => framed(diffReport({ os: { a: 1 } }, { epoch: 'e', seq: 3, baseSeq: 3 })),
    /older sequence/,
  ),
  deadLettered('report: deep nesting (5,000 levels)', report, () => nestedReport(5000), /depth|nest|deep/i, {
    waitsFor: 'wt-a (decode-time depth bound)',
  }),
  deadLettered(
    'report: deep nesting (100,000 levels, within 128 KB)',
    report,
    () => nestedReport(100_000),
    /depth|nest|deep/i,
    {
      waitsFor: 'wt-a (decode-time depth bound)',
    },
  ),
  storedExactly(
    'report: __proto__ key at the top of a section',
    () => JSON.parse('{"software":{"__proto__":{"name":"evil","version":"1"},"ok":{"name":"fine"}}}'),
    {
      waitsFor: 'wt-a (keys as data)',
    },
  ),
  storedExactly(
    'report: __proto__ keys at every depth (larger than a shard)',
    () => ({
      software: { ...keyedAtEveryDepth('__proto__', 12), pad: 'p'.repeat(3000) },
    }),
    { waitsFor: 'wt-a (keys as data)' },
  ),
  storedExactly(
    'report: constructor and prototype keys at every depth',
    () => ({
      services: keyedAtEveryDepth('constructor', 8),
      users: keyedAtEveryDepth('prototype', 8),
    }),
    { waitsFor: 'wt-a (keys as data)' },
  ),
  storedExactly('report: NUL, unicode and path-like keys', () => ({
    software: {
      'a\u0000b': { v: 1 },
      'zürich-日本-\u{1F600}': { v: 2 },
      '../../etc/passwd': { v: 3 },
      'a/b#c': { v: 4 },
      '': { v: 5 },
    },
  })),
  deadLettered(
    'report: huge string value (1 MB, compressible)',
    report,
    () => framed(fullReport({ os: { banner: 'b'.repeat(1024 * 1024) } }, { epoch: 'e', seq: 1 })),
    /larger than|exceeds|too (large|long)|limit/i,
  ),
  kind(
    'mqtt',
    'report: 30 replays of one full report',
    async (ctx) => {
      const id = ctx.id('adv');
      const client = await ctx.device(id);
      const sections = { os: { name: 'replayed' } };
      const payload = framed(fullReport(sections, { epoch: 'e1', seq: 1 }));
      await Promise.all(
        Array.from({ length: 30 }, () => client.publishAsync(report(id), payload, { qos: 1 })),
      );
      await client.endAsync();
      await waitFor(async () => (await ctx.api(`/devices/${id}/inventory`)).status === 200, {
        timeoutMs: 12_000,
      });
      const changes = await waitFor(async () => {
        const a = await ctx.api(`/devices/${id}/inventory/changes`);
        return a.status === 200 ? (a.body as { changes: unknown[] }).changes : undefined;
      });
      expect(changes, 'one change entry for 30 copies').toHaveLength(1);
      expect(ctx.deadLetters.forDevice(id)).toEqual([]);
    },
    { waitsFor: 'lead: lambdas/inventory/apply.ts (concurrent first copies each claim a change entry)' },
  ),
  kind('mqtt', 'report: conflicting full reports, older sequence last', async (ctx) => {
    const id = ctx.id('adv');
    const newer = { os: { name: 'newer' } };
    await ctx.seedInventory(id, newer, 5);
    await sendAs(
      ctx,
      id,
      report(id),
      framed(fullReport({ os: { name: 'older' } }, { epoch: `e-${id}`, seq: 4 })),
    );
    await ctx.t.cloud.idle();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answer = await ctx.api(`/devices/${id}/inventory`);
    expect((answer.body as { sections: unknown }).sections).toEqual(newer);
  }),
  kind(
    'mqtt',
    'report: same sequence, different content: dead-lettered, state kept',
    async (ctx) => {
      const id = ctx.id('adv');
      const first = { os: { name: 'first' } };
      await ctx.seedInventory(id, first, 1);
      await sendAs(
        ctx,
        id,
        report(id),
        framed(fullReport({ os: { name: 'conflict' } }, { epoch: `e-${id}`, seq: 1 })),
      );
      await ctx.deadLetters.expect(id, /differs from the report already accepted/);
      const answer = await ctx.api(`/devices/${id}/inventory`);
      expect((answer.body as { sections: unknown }).sections).toEqual(first);
    },
    { waitsFor: 'lead: lambdas/inventory/decide.ts (a same-sequence report is taken as a duplicate unread)' },
  ),
  kind('mqtt', 'report: diff on a base the cloud never had is not applied', async (ctx) => {
    const id = ctx.id('adv');
    const base = { os: { name: 'base' } };
    await ctx.seedInventory(id, base, 1);
    await sendAs(
      ctx,
      id,
      report(id),
      framed(diffReport({ os: { name: 'gap' } }, { epoch: `e-${id}`, seq: 9, baseSeq: 8 })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answer = await ctx.api(`/devices/${id}/inventory`);
    expect((answer.body as { sections: unknown }).sections).toEqual(base);
  }),
  kind('mqtt', 'report: clock skew (collectedAt in 2100) is stored as the device said', async (ctx) => {
    const id = ctx.id('adv');
    const collectedAt = Date.UTC(2100, 0, 1);
    await sendAs(
      ctx,
      id,
      report(id),
      framed(fullReport({ os: { a: 1 } }, { epoch: 'e', seq: 1, collectedAt })),
    );
    const answer = await waitFor(
      async () => {
        const a = await ctx.api(`/devices/${id}/inventory`);
        return a.status === 200 ? a : undefined;
      },
      { timeoutMs: 12_000 },
    );
    const view = answer.body as { collectedAt: number; receivedAt: number };
    expect(view.collectedAt).toBe(collectedAt);
    expect(view.receivedAt).toBeLessThanOrEqual(Date.now());
  }),

  // Topics.
  forbidden("report on another device's topic", (victim) => topics.report(victim)),
  forbidden("report on another device's topic via Basic Ingest", (victim) =>
    basicIngestTopic(topics.report(victim)),
  ),
  forbidden("heartbeat on another device's topic", (victim) => topics.heartbeat(victim)),
  forbidden('command topic of another device (cloud → device)', (victim) => topics.command(victim)),
  forbidden('lifecycle topic ($aws/events/presence)', (victim) => topics.presence('disconnected', victim)),
  ...[
    ['unicode', 'dév-日本-\u{1F600}'],
    ['NUL', 'dev\u0000evil'],
    ['path-like', '../../etc'],
  ].map(([what, badId = '']) =>
    kind('mqtt', `${what} characters in a device id (certificate CN and client id): refused`, async (ctx) => {
      const client = await ctx.device(badId).catch(() => undefined);
      if (client) {
        client.publish(`dt/fleet/${badId}/heartbeat`, JSON.stringify(heartbeat()), { qos: 1 });
        await waitFor(() => !client.connected, { timeoutMs: 5000, what: 'the connection to close' });
      }
      await ctx.t.cloud.idle();
      const listed = await ctx.api('/devices?limit=200');
      const ids = (listed.body as { items: { deviceId: string }[] }).items.map((d) => d.deviceId);
      expect(ids, 'no device record for an invalid id').not.toContain(badId);
    }),
  ),
  kind('mqtt', 'topic outside the topic table under its own id: refused', async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    client.publish(`dt/fleet/${id}/no-such-thing`, 'x', { qos: 1 });
    await expectClosed(ctx, id, client, 'FORBIDDEN_ACCESS');
  }),
  kind('mqtt', 'Basic Ingest to a rule that does not exist: dropped, connection stays up', async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    await client.publishAsync(`$aws/rules/no_such_rule/dt/fleet/${id}/heartbeat`, hbJson(heartbeat()), {
      qos: 1,
    });
    await ctx.t.cloud.idle();
    expect(client.connected).toBe(true);
    await client.endAsync();
    expect((await ctx.api(`/devices/${id}`)).body).not.toHaveProperty('lastHeartbeatAt');
  }),
  kind('mqtt', "subscribe to other devices' commands and to #: refused (QoS 128)", async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    const granted = new Promise<number[]>((resolve) =>
      client.on('packetreceive', (p) => p.cmd === 'suback' && resolve(p.granted as number[])),
    );
    client.subscribe([topics.command(ctx.victimId), '#', '$aws/events/#'], { qos: 1 });
    expect(await granted).toEqual([128, 128, 128]);
    await client.endAsync();
  }),
  kind('mqtt', 'wildcard in a publish topic: connection closed', async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    client.stream.write(Buffer.from([0x30, 0x0d, 0x00, 0x0a, ...Buffer.from(`dt/fleet/#`), 0x78]));
    await waitFor(() => !client.connected, { timeoutMs: 5000, what: 'the connection to close' });
  }),
  kind('mqtt', 'malformed MQTT packet (reserved type 0): connection closed', async (ctx) => {
    const id = ctx.id('adv');
    const client = await ctx.device(id);
    client.stream.write(Buffer.from([0x00, 0x02, 0xff, 0xff]));
    await waitFor(() => !client.connected, { timeoutMs: 5000, what: 'the connection to close' });
  }),
];
