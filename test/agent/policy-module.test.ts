import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '#agent/logger.ts';
import type { AgentContext } from '#agent/module.ts';
import { PolicyModule } from '#agent/policy/module.ts';
import type { Command } from '#protocol/commands.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';
import { topics } from '#protocol/topics.ts';

const DEVICE = 'dev-policy';
const NOW = 1_700_000_000_000;

/** An AgentContext that records what the module publishes and lets the test deliver commands. */
function fakeContext(dataDir: string) {
  const published: Array<{ topic: string; body: unknown }> = [];
  const handlers = new Map<string, (command: Command) => Promise<void> | void>();
  const context: AgentContext = {
    deviceId: DEVICE,
    agentVersion: '1.0.0',
    dataDir,
    logger: silentLogger,
    policy: () => {
      throw new Error('the policy module must not ask the context for the policy');
    },
    publish: async (topic, payload) => {
      published.push({ topic, body: decodeJson(payload) });
    },
    onCommand: (type, handler) => {
      handlers.set(type, handler as (command: Command) => Promise<void> | void);
    },
    onConnected() {},
  };
  const send = async (command: Command) => {
    const handler = handlers.get(command.type);
    if (handler === undefined) throw new Error(`no handler for ${command.type}`);
    await handler(command);
  };
  return { context, published, send };
}

const policyCommand = (version: number, commandId = `p-${version}`): Command => ({
  type: 'policy',
  commandId,
  issuedAt: NOW,
  policy: PolicyDocumentSchema.parse({ version, heartbeatIntervalSec: 30 }),
});

describe('policy module', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the built-in defaults (version 0) until the cloud sends a policy', async () => {
    const module = new PolicyModule();
    const { context } = fakeContext(dir);

    await module.start(context);

    expect(module.current()?.version).toBe(0);
    expect(module.heartbeatFields()).toEqual({ policyVersion: 0 });
  });

  it('asks for the policy when told of a newer version', async () => {
    const module = new PolicyModule();
    const { context, published, send } = fakeContext(dir);
    await module.start(context);

    await send({ type: 'policy-changed', commandId: 'c-1', issuedAt: NOW, version: 2 });

    expect(published).toEqual([{ topic: topics.policyRequest(DEVICE), body: { currentVersion: 0 } }]);
  });

  it('answers a change it asked for once the policy it got runs, with the version (policy-refresh)', async () => {
    const module = new PolicyModule();
    const { context, published, send } = fakeContext(dir);
    await module.start(context);
    await send({ type: 'policy-changed', commandId: 'cmd-refresh', issuedAt: NOW, version: 4 });
    await send({ type: 'policy-changed', commandId: 'cmd-later', issuedAt: NOW, version: 9 });
    published.length = 0;

    await send(policyCommand(6));

    const results = published.filter((p) => p.topic === topics.commandResult(DEVICE)).map((p) => p.body);
    expect(results).toEqual([
      expect.objectContaining({ commandId: 'p-6', status: 'succeeded' }),
      expect.objectContaining({
        commandId: 'cmd-refresh',
        status: 'succeeded',
        detail: { policyVersion: 6 },
      }),
    ]);
    published.length = 0;
    // The one asking for a later version is answered by that version, and only once.
    await send(policyCommand(9));
    await send(policyCommand(10));
    expect(published.map((p) => p.body)).toEqual([
      expect.objectContaining({ commandId: 'p-9' }),
      expect.objectContaining({ commandId: 'cmd-later', detail: { policyVersion: 9 } }),
      expect.objectContaining({ commandId: 'p-10' }),
    ]);
  });

  it('answers a change it already runs with the running version, without asking', async () => {
    const module = new PolicyModule();
    const { context, published, send } = fakeContext(dir);
    await module.start(context);
    await send(policyCommand(3));
    published.length = 0;

    await send({ type: 'policy-changed', commandId: 'c-2', issuedAt: NOW, version: 3 });

    expect(published).toEqual([
      {
        topic: topics.commandResult(DEVICE),
        body: expect.objectContaining({
          commandId: 'c-2',
          status: 'succeeded',
          detail: { policyVersion: 3 },
        }),
      },
    ]);
  });

  it('applies a newer policy, keeps it across a restart and reports it in heartbeats', async () => {
    const applied: number[] = [];
    const module = new PolicyModule({ onApplied: (policy) => applied.push(policy.version) });
    const { context, published, send } = fakeContext(dir);
    await module.start(context);

    await send(policyCommand(5));
    const restarted = new PolicyModule();
    await restarted.start(fakeContext(dir).context);

    expect(applied).toEqual([5]);
    expect(module.heartbeatFields()).toEqual({ policyVersion: 5 });
    expect(restarted.current()).toMatchObject({ version: 5, heartbeatIntervalSec: 30 });
    expect(published.at(-1)?.body).toMatchObject({ commandId: 'p-5', detail: { policyVersion: 5 } });
  });

  it('ignores an older policy delivered late, and says so', async () => {
    const applied: number[] = [];
    const module = new PolicyModule({ onApplied: (policy) => applied.push(policy.version) });
    const { context, published, send } = fakeContext(dir);
    await module.start(context);
    await send(policyCommand(5));

    await send(policyCommand(4, 'late'));

    expect(applied).toEqual([5]);
    expect(module.current()?.version).toBe(5);
    expect(published.at(-1)?.body).toMatchObject({
      commandId: 'late',
      detail: { policyVersion: 5, note: 'ignored version 4: older than the running one' },
    });
  });
});
