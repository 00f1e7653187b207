import { describe, expect, it } from 'vitest';
import { notConfirmedReason, wakeType } from '#lambdas/commands/types/wake.ts';

const from = { recipient: 'bridge-1', target: 'pc-1' };

describe('wake type', () => {
  it('says the timeout in minutes when whole, else in seconds', () => {
    expect(notConfirmedReason(300)).toBe('not confirmed: no connection from the target within 5 min');
    expect(notConfirmedReason(90)).toBe('not confirmed: no connection from the target within 90 s');
    expect(wakeType.timeoutSec({ timeoutSec: 300 })).toBe(300);
    expect(wakeType.timeoutState).toBe('failed');
  });

  it('counts a bridge that sent as acknowledged, never as woken, with its detail', () => {
    const sent = {
      commandId: 'cmd-1',
      status: 'succeeded',
      at: 1,
      detail: { subnet: '10.0.0.0/24' },
    } as const;
    expect(wakeType.interpretResult?.(sent, from)).toEqual({
      state: 'acknowledged',
      reason: 'magic packet sent by bridge bridge-1',
      detail: { bridge: 'bridge-1', subnet: '10.0.0.0/24' },
    });
    expect(
      wakeType.interpretResult?.({ commandId: 'cmd-1', status: 'acknowledged', at: 1 }, from)?.state,
    ).toBe('dispatched');
    const failed = { commandId: 'cmd-1', status: 'failed', at: 1, reason: 'connect ENETUNREACH' } as const;
    expect(wakeType.interpretResult?.(failed, from)).toMatchObject({
      state: 'acknowledged',
      reason: 'bridge bridge-1 could not send: connect ENETUNREACH',
    });
    expect(wakeType.onTargetOnline?.({} as never)).toEqual({
      state: 'succeeded',
      reason: 'the target connected',
    });
  });
});
