import { describe, expect, it, vi } from 'vitest';
import { CommandRouter } from '#agent/commands.ts';
import { silentLogger } from '#agent/logger.ts';
import type { AgentLogger } from '#agent/module.ts';
import type { CommandResult } from '#protocol/commands.ts';

const NOW = 1_700_000_000_000;

function router(logger: AgentLogger = silentLogger) {
  const results: CommandResult[] = [];
  const r = new CommandRouter({
    logger,
    sendResult: async (result) => void results.push(result),
    dedupWindow: 8,
    now: () => NOW,
  });
  return { router: r, results };
}

const payload = (value: unknown) => Buffer.from(JSON.stringify(value));
const policyChanged = (commandId: string) => ({
  type: 'policy-changed',
  commandId,
  issuedAt: NOW,
  version: 2,
});

describe('command dispatch', () => {
  it('acknowledges a valid command, then runs its handler', async () => {
    const { router: r, results } = router();
    const handler = vi.fn();
    r.on('policy-changed', handler);

    await r.dispatch(payload(policyChanged('c-1')));

    expect(results).toEqual([{ commandId: 'c-1', status: 'acknowledged', at: NOW }]);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ commandId: 'c-1', version: 2 }));
  });

  it('answers an invalid command with a failed result naming the problem', async () => {
    const { router: r, results } = router();
    r.on('policy-changed', vi.fn());

    await r.dispatch(payload({ type: 'policy-changed', commandId: 'c-2', issuedAt: NOW, version: -1 }));

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ commandId: 'c-2', status: 'failed' });
    expect(results[0]?.reason).toMatch(/invalid command: version/);
  });

  it('drops an undecodable payload without answering (no command id to answer)', async () => {
    const warn = vi.fn();
    const { router: r, results } = router({ ...silentLogger, warn });

    await r.dispatch(Buffer.from('{not json'));

    expect(results).toEqual([]);
    expect(warn).toHaveBeenCalledWith('command dropped: undecodable payload', expect.anything());
  });

  it('ignores an unknown command type with a warning', async () => {
    const warn = vi.fn();
    const { router: r, results } = router({ ...silentLogger, warn });

    await r.dispatch(payload({ type: 'reboot-into-the-future', commandId: 'c-3', issuedAt: NOW }));

    expect(results).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      'command ignored: unknown type',
      expect.objectContaining({ commandId: 'c-3' }),
    );
  });

  it('fails a known command type this agent has no handler for', async () => {
    const { router: r, results } = router();

    await r.dispatch(payload(policyChanged('c-4')));

    expect(results).toEqual([
      expect.objectContaining({
        commandId: 'c-4',
        status: 'failed',
        reason: expect.stringMatching(/does not handle/),
      }),
    ]);
  });

  it('reports a failed result when the handler throws', async () => {
    const { router: r, results } = router();
    r.on('policy-changed', () => {
      throw new Error('disk full');
    });

    await r.dispatch(payload(policyChanged('c-5')));

    expect(results.map((x) => x.status)).toEqual(['acknowledged', 'failed']);
    expect(results[1]?.reason).toBe('disk full');
  });

  it('runs a redelivered command once', async () => {
    const { router: r } = router();
    const handler = vi.fn();
    r.on('policy-changed', handler);

    await r.dispatch(payload(policyChanged('c-6')));
    await r.dispatch(payload(policyChanged('c-6')));

    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('fails an expired command without running it', async () => {
    const { router: r, results } = router();
    const handler = vi.fn();
    r.on('policy-changed', handler);

    await r.dispatch(payload({ ...policyChanged('c-7'), expiresAt: NOW - 1 }));

    expect(handler).not.toHaveBeenCalled();
    expect(results[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/expired/) });
  });

  it('refuses two handlers for the same type', () => {
    const { router: r } = router();
    r.on('policy', vi.fn());

    expect(() => r.on('policy', vi.fn())).toThrow(/already registered/);
  });
});
