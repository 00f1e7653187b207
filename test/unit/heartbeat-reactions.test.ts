import { describe, expect, it } from 'vitest';
import { type HeartbeatReaction, type ReactionContext, runReactions } from '#lambdas/heartbeat/reaction.ts';
import { heartbeatReactions } from '#lambdas/heartbeat/reactions.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { heartbeatReactions as wiredReactions } from '#wiring/heartbeat.ts';

function context() {
  const errors: Array<{ message: string; detail: unknown }> = [];
  const metrics: string[] = [];
  const ctx: ReactionContext = {
    deviceId: 'dev-r1',
    receivedAt: 1_700_000_000_000,
    logger: {
      info: () => undefined,
      error: (message: string, detail: unknown) => errors.push({ message, detail }),
    },
    metrics: { addMetric: (name) => metrics.push(name) },
  };
  return { ctx, errors, metrics };
}

const heartbeat = { schema: 1 } as unknown as Heartbeat;

function recording(name: string, ran: string[], fail?: 'reject' | 'throw'): HeartbeatReaction {
  return {
    name,
    react: (received) => {
      if (fail === 'throw') throw new Error(`${name} broke synchronously`);
      ran.push(`${name}:${(received as { schema: number }).schema}`);
      return fail === 'reject' ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve();
    },
  };
}

describe('heartbeat reactions', () => {
  it('runs every reaction with the heartbeat when all succeed', async () => {
    const ran: string[] = [];
    const { ctx, errors } = context();

    const failed = await runReactions([recording('a', ran), recording('b', ran)], heartbeat, ctx);

    expect(failed).toEqual([]);
    expect(ran.sort()).toEqual(['a:1', 'b:1']);
    expect(errors).toEqual([]);
  });

  it('keeps running the others when one rejects or throws, and logs each failure with its name', async () => {
    const ran: string[] = [];
    const { ctx, errors, metrics } = context();
    const reactions = [
      recording('first', ran),
      recording('rejects', ran, 'reject'),
      recording('throws', ran, 'throw'),
      recording('last', ran),
    ];

    const failed = await runReactions(reactions, heartbeat, ctx);

    expect(failed).toEqual(['rejects', 'throws']);
    expect(ran).toEqual(expect.arrayContaining(['first:1', 'last:1']));
    expect(errors.map((e) => (e.detail as { reaction: string }).reaction)).toEqual(['rejects', 'throws']);
    expect(errors[0]?.detail).toMatchObject({ deviceId: 'dev-r1', error: expect.any(Error) });
    expect(metrics).toEqual(['HeartbeatReactionFailed', 'HeartbeatReactionFailed']);
  });

  it('are registered with unique names, and the wiring grants each one its access', () => {
    const names = heartbeatReactions.map((r) => r.name);

    expect(new Set(names).size).toBe(names.length);
    expect(wiredReactions.map((r) => r.name)).toEqual(names);
  });
});
