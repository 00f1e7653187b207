/**
 * Bad input on the device topics of commands and policies: command results that answer nothing,
 * answer for another device or carry hostile detail, and malformed policy requests. Each is
 * dead-lettered with the reason, or kept bounded as data, and moves no outcome it should not.
 */
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { waitFor } from '../support/wait.ts';
import type { AdversarialContext } from './context.ts';
import { type Kind, kind } from './kind.ts';

const result = (commandId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ commandId, status: 'succeeded', at: Date.now(), ...extra });

async function publishAs(ctx: AdversarialContext, deviceId: string, topic: string, payload: string | Buffer) {
  const client = await ctx.device(deviceId);
  await client.publishAsync(basicIngestTopic(topic), payload, { qos: 1 });
  await client.endAsync();
}

interface Outcome {
  readonly state: string;
  readonly history: { state: string }[];
  readonly detail?: Record<string, unknown>;
}

async function outcomeOf(ctx: AdversarialContext, commandId: string, deviceId: string): Promise<Outcome> {
  const answer = await ctx.api(`/commands/${commandId}?limit=500`);
  expect(answer.status, answer.text.slice(0, 200)).toBe(200);
  const items = (answer.body as { devices: { items: (Outcome & { deviceId: string })[] } }).devices.items;
  const outcome = items.find((d) => d.deviceId === deviceId);
  if (!outcome) throw new Error(`no outcome for ${deviceId} in ${commandId}`);
  return outcome;
}

/** A ping queued for a registered device that is offline: its outcome must stay `queued`. */
async function queuedPing(ctx: AdversarialContext): Promise<{ commandId: string; deviceId: string }> {
  const deviceId = ctx.id('adv-offline');
  const client = await ctx.device(deviceId);
  await client.endAsync();
  await waitFor(
    async () => {
      const a = await ctx.api(`/devices/${deviceId}`);
      return a.status === 200 && (a.body as { status: string }).status === 'offline';
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `${deviceId} registered and offline` },
  );
  const created = await ctx.api('/commands', {
    method: 'POST',
    body: JSON.stringify({ type: 'ping', target: { deviceIds: [deviceId] }, expiresInSec: 600 }),
    headers: { 'content-type': 'application/json' },
  });
  expect(created.status, created.text).toBe(202);
  const { commandId } = created.body as { commandId: string };
  await waitFor(
    async () => (await outcomeOf(ctx, commandId, deviceId).catch(() => undefined))?.state === 'queued',
    {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `${commandId} queued for ${deviceId}`,
    },
  );
  return { commandId, deviceId };
}

/** An online device that received a ping: resolves with the command id once it is on cmd/fleet/{id}. */
async function pingedDevice(
  ctx: AdversarialContext,
): Promise<{ client: MqttClient; deviceId: string; commandId: string }> {
  const deviceId = ctx.id('adv-online');
  const client = await ctx.device(deviceId);
  let received: string | undefined;
  client.on('message', (_topic, payload) => {
    const { commandId, type } = JSON.parse(payload.toString('utf8')) as { commandId: string; type: string };
    if (type === 'ping') received = commandId;
  });
  await client.subscribeAsync(topics.command(deviceId), { qos: 1 });
  await waitFor(
    async () => {
      const a = await ctx.api(`/devices/${deviceId}`);
      return a.status === 200 && (a.body as { status: string }).status === 'online';
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `${deviceId} online` },
  );
  const created = await ctx.api('/commands', {
    method: 'POST',
    body: JSON.stringify({ type: 'ping', target: { deviceIds: [deviceId] } }),
    headers: { 'content-type': 'application/json' },
  });
  expect(created.status, created.text).toBe(202);
  const commandId = await waitFor(() => received, {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: `the ping on cmd/fleet/${deviceId}`,
  });
  expect(commandId).toBe((created.body as { commandId: string }).commandId);
  return { client, deviceId, commandId };
}

/** Waits for the outcome to reach `state`; on time-out says what the dead-letter queue holds. */
async function finalOutcome(
  ctx: AdversarialContext,
  commandId: string,
  deviceId: string,
  state: string,
): Promise<Outcome> {
  let last: Outcome | undefined;
  try {
    return await waitFor(
      async () => {
        last = await outcomeOf(ctx, commandId, deviceId);
        return last.state === state ? last : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `${commandId} ${state} for ${deviceId}` },
    );
  } catch (err) {
    const letters = ctx.deadLetters.forDevice(deviceId).map((e) => e.reason);
    throw new Error(
      `${(err as Error).message}; last ${last?.state}; dead letters ${JSON.stringify(letters)}`,
    );
  }
}

/** A result published by `deviceId` must be dead-lettered with `reason`. */
function deadLetteredResult(
  name: string,
  payload: (ids: { commandId: string }) => string,
  reason: RegExp,
): Kind {
  return kind('mqtt', `command-result: ${name}`, async (ctx) => {
    const queued = await queuedPing(ctx);
    const sender = ctx.id('adv-res');
    await publishAs(ctx, sender, topics.commandResult(sender), payload(queued));
    const entry = await ctx.deadLetters.expect(sender, reason);
    expect(entry.source).toBe('commandResults');
    const outcome = await outcomeOf(ctx, queued.commandId, queued.deviceId);
    expect(outcome.state, 'the queued outcome did not move').toBe('queued');
  });
}

export const commandMqttKinds: Kind[] = [
  deadLetteredResult(
    'unknown command id',
    () => result('cmd-0000000000nosuchcommand'),
    /unknown command cmd-0000000000nosuchcommand/,
  ),
  deadLetteredResult(
    'from a device the command was not sent to',
    ({ commandId }) => result(commandId),
    /was not sent to device/,
  ),
  deadLetteredResult('not JSON', () => '{"commandId":', /JSON|command result/),
  deadLetteredResult('unknown status', ({ commandId }) => result(commandId, { status: 'pwned' }), /status/),
  deadLetteredResult(
    'no commandId',
    () => JSON.stringify({ status: 'succeeded', at: Date.now() }),
    /commandId/,
  ),
  deadLetteredResult('commandId of 129 characters', () => result(`cmd-${'a'.repeat(125)}`), /commandId/),
  deadLetteredResult(
    'detail that is an array',
    ({ commandId }) => result(commandId, { detail: [1, 2] }),
    /detail/,
  ),
  deadLetteredResult(
    'reason over 1,024 characters',
    ({ commandId }) => result(commandId, { reason: 'r'.repeat(2000) }),
    /reason/,
  ),
  kind('mqtt', 'command-result on the topic of the device the command was sent to: refused', async (ctx) => {
    // The topic names the device: publishing under an id the sender does not hold closes it.
    const queued = await queuedPing(ctx);
    const sender = ctx.id('adv-res');
    const client = await ctx.device(sender);
    client.publish(basicIngestTopic(topics.commandResult(queued.deviceId)), result(queued.commandId), {
      qos: 1,
    });
    await waitFor(() => !client.connected, { timeoutMs: 5000, what: `${sender} to be disconnected` });
    client.end(true);
    await waitFor(
      async () => {
        const a = await ctx.api(`/devices/${sender}`);
        return (a.body as { disconnectReason?: string }).disconnectReason === 'FORBIDDEN_ACCESS';
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `${sender} closed for FORBIDDEN_ACCESS` },
    );
    expect((await outcomeOf(ctx, queued.commandId, queued.deviceId)).state).toBe('queued');
  }),
  kind('mqtt', 'command-result: 60 KB of detail is kept as a note, not stored whole', async (ctx) => {
    const { client, deviceId, commandId } = await pingedDevice(ctx);
    const detail = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'x'.repeat(1024)]));
    await client.publishAsync(
      basicIngestTopic(topics.commandResult(deviceId)),
      result(commandId, { detail }),
      {
        qos: 1,
      },
    );
    const outcome = await finalOutcome(ctx, commandId, deviceId, 'succeeded');
    expect(outcome.detail).toMatchObject({ truncated: true });
    expect(JSON.stringify(outcome.detail).length).toBeLessThan(200);
    await client.endAsync();
  }),
  kind('mqtt', 'command-result: a 100 KB string in detail is dead-lettered', async (ctx) => {
    const { client, deviceId, commandId } = await pingedDevice(ctx);
    const detail = { blob: 'x'.repeat(100 * 1024) };
    await client.publishAsync(
      basicIngestTopic(topics.commandResult(deviceId)),
      result(commandId, { detail }),
      {
        qos: 1,
      },
    );
    await client.endAsync();
    await ctx.deadLetters.expect(deviceId, /too large or too deep/);
    expect((await outcomeOf(ctx, commandId, deviceId)).state, 'the outcome did not move').toBe('dispatched');
  }),
  kind('mqtt', 'command-result: over the 128 KB payload limit, connection closed', async (ctx) => {
    const { client, deviceId, commandId } = await pingedDevice(ctx);
    client.publish(
      basicIngestTopic(topics.commandResult(deviceId)),
      result(commandId, { pad: 'x'.repeat(140_000) }),
      {
        qos: 1,
      },
    );
    await waitFor(() => !client.connected, { timeoutMs: 5000, what: `${deviceId} to be disconnected` });
    client.end(true);
    expect((await outcomeOf(ctx, commandId, deviceId)).state, 'the outcome did not move').toBe('dispatched');
  }),
  kind('mqtt', 'command-result: __proto__ and constructor in detail are data', async (ctx) => {
    const { client, deviceId, commandId } = await pingedDevice(ctx);
    const payload = `{"commandId":"${commandId}","status":"succeeded","at":${Date.now()},"detail":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"ok":true}}`;
    await client.publishAsync(basicIngestTopic(topics.commandResult(deviceId)), payload, { qos: 1 });
    const outcome = await finalOutcome(ctx, commandId, deviceId, 'succeeded');
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').toBeUndefined();
    expect(outcome.detail?.ok).toBe(true);
    await client.endAsync();
  }),
  kind('mqtt', 'command-result: a late duplicate does not move a final outcome back', async (ctx) => {
    const { client, deviceId, commandId } = await pingedDevice(ctx);
    const topic = basicIngestTopic(topics.commandResult(deviceId));
    await client.publishAsync(topic, result(commandId, { status: 'failed', reason: 'first' }), { qos: 1 });
    await waitFor(async () => (await outcomeOf(ctx, commandId, deviceId)).state === 'failed', {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `${commandId} failed`,
    });
    await client.publishAsync(topic, result(commandId, { status: 'acknowledged' }), { qos: 1 });
    await client.publishAsync(topic, result(commandId, { status: 'succeeded' }), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const outcome = await outcomeOf(ctx, commandId, deviceId);
    expect(outcome.state).toBe('failed');
    expect(outcome.history.map((h) => h.state)).toEqual(['queued', 'dispatched', 'failed']);
    await client.endAsync();
  }),
  ...[
    ['not JSON', '{"currentVersion":', /JSON|policy request/],
    ['negative version', '{"currentVersion":-1}', /currentVersion/],
    ['version as a string', '{"currentVersion":"7"}', /currentVersion/],
    ['no version', '{"__proto__":{"currentVersion":0}}', /currentVersion/],
  ].map(([name, payload, reason]) =>
    kind('mqtt', `policy/request: ${name as string}`, async (ctx) => {
      const id = ctx.id('adv-pol');
      await publishAs(ctx, id, topics.policyRequest(id), payload as string);
      const entry = await ctx.deadLetters.expect(id, reason as RegExp);
      expect(entry.source).toBe('policyRequests');
      expect(({} as Record<string, unknown>).currentVersion).toBeUndefined();
    }),
  ),
];
