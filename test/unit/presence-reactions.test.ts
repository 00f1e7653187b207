import { describe, expect, it } from 'vitest';
import {
  type PresenceReaction,
  presenceReactions,
  runPresenceReactions,
} from '#lambdas/devices/presence-reactions.ts';
import { presenceReactions as wiredReactions } from '#wiring/presence.ts';

describe('presence reactions', () => {
  it('are the ones the wiring grants access for, by name and in order', () => {
    expect(presenceReactions.map((r) => r.name)).toEqual(wiredReactions.map((r) => r.name));
  });

  it('run every reaction when one fails, and log the one that failed', async () => {
    const ran: string[] = [];
    const errors: unknown[] = [];
    const reactions: PresenceReaction[] = [
      { name: 'broken', onConnected: async () => Promise.reject(new Error('store down')) },
      { name: 'fine', onConnected: async (deviceId) => ran.push(deviceId) },
    ];

    await runPresenceReactions(reactions, 'dev-1', { error: (_msg, fields) => errors.push(fields) });

    expect(ran).toEqual(['dev-1']);
    expect(errors).toMatchObject([{ reaction: 'broken', deviceId: 'dev-1' }]);
  });
});
