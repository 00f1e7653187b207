import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  HandlerTimeoutError,
  type LambdaHandler,
  LOCAL_CONCURRENCY,
  loadInProcessRuntime,
} from '#local/lambda-runtime.ts';
import { createLog } from '#local/log.ts';
import type { FunctionName } from '#wiring/fleet.ts';

const HEARTBEAT_TIMEOUT_MS = 10_000;

/** A handler that runs until the test releases it, counting how many run at once. */
function gatedHandler() {
  const gates: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const handler: LambdaHandler = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    return 'done';
  };
  return {
    handler,
    releaseAll: () => {
      for (const release of gates.splice(0)) release();
    },
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
  };
}

async function runtimeWith(heartbeat: LambdaHandler) {
  const idle: LambdaHandler = async () => undefined;
  const overrides: Record<FunctionName, LambdaHandler> = {
    heartbeat,
    presence: idle,
    reports: idle,
    analyzer: idle,
    analyzerTables: idle,
    devicesApi: idle,
    inventoryApi: idle,
    sessionsApi: idle,
    commandsApi: idle,
    commandsReadApi: idle,
    commandFanout: idle,
    commandDispatcher: idle,
    commandResults: idle,
  };
  return loadInProcessRuntime({
    repoRoot: '/nonexistent',
    region: 'eu-west-1',
    overrides,
    log: createLog('silent'),
  });
}

describe('local Lambda runtime under a burst', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('throttles invocations beyond the concurrency bound; queued ones wait past the timeout and all complete', async () => {
    vi.useFakeTimers();
    const gated = gatedHandler();
    const runtime = await runtimeWith(gated.handler);
    const burst = LOCAL_CONCURRENCY * 3;

    const settled = Array.from({ length: burst }, (_, i) =>
      runtime.invoke('heartbeat', { i }).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    // Each wave runs most of the handler timeout; the last wave has waited twice that when it starts.
    for (let wave = 0; wave < 3; wave++) {
      await vi.advanceTimersByTimeAsync(HEARTBEAT_TIMEOUT_MS - 1_000);
      expect(gated.running).toBe(LOCAL_CONCURRENCY);
      gated.releaseAll();
      await vi.advanceTimersByTimeAsync(0);
    }
    const results = await Promise.all(settled);

    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(burst);
    expect(gated.peak).toBe(LOCAL_CONCURRENCY);
  });

  it('times a handler out after its own run time, measured from when it started', async () => {
    vi.useFakeTimers();
    const gated = gatedHandler();
    const runtime = await runtimeWith(gated.handler);
    const results = Array.from({ length: LOCAL_CONCURRENCY + 1 }, () =>
      runtime.invoke('heartbeat', {}).catch((err: unknown) => err),
    );

    await vi.advanceTimersByTimeAsync(HEARTBEAT_TIMEOUT_MS);
    const firstWave = await Promise.all(results.slice(0, LOCAL_CONCURRENCY));
    // The queued one got its slot only now: its timeout starts now.
    await vi.advanceTimersByTimeAsync(HEARTBEAT_TIMEOUT_MS - 1);
    gated.releaseAll();
    const last = await results[LOCAL_CONCURRENCY];

    expect(firstWave.every((r) => r instanceof HandlerTimeoutError)).toBe(true);
    expect(last).toBe('done');
  });
});
