import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InventoryModule } from '#agent/inventory/module.ts';
import type { SectionCollector } from '#agent/inventory/sections.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { fakeContext } from './fake-context.ts';

function mutableCollectors() {
  const state: { os: JsonObject; software: JsonObject } = {
    os: { distro: 'Ubuntu', release: '22.04' },
    software: { 'curl:amd64': { version: '7.81' } },
  };
  const collectors: SectionCollector[] = [
    { section: 'os', collect: async () => structuredClone(state.os) },
    { section: 'software', collect: async () => structuredClone(state.software) },
  ];
  return { state, collectors };
}

describe('InventoryModule', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'inv-module-'));
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes a full report on start, a diff after a change, and nothing when unchanged', async () => {
    const { state, collectors } = mutableCollectors();
    const { context, published } = fakeContext(dataDir);
    const module = new InventoryModule({ collectors, intervalMs: 3_600_000 });

    await module.start(context);
    await module.runPass();
    state.software['jq:amd64'] = { version: '1.6' };
    await module.runPass();
    await module.stop();

    expect(published.map((r) => r.kind)).toEqual(['full', 'diff']);
    expect(published[1]).toMatchObject({
      seq: 2,
      baseSeq: 1,
      patches: { software: { 'jq:amd64': { version: '1.6' } } },
    });
    expect(module.heartbeatFields()).toEqual({ reportSeq: 2, reportEpoch: published[0]?.epoch });
  });

  it('answers a resync command with a full report newer than the stored sequence, then reports success', async () => {
    const { collectors } = mutableCollectors();
    const { context, published, results, send } = fakeContext(dataDir);
    const module = new InventoryModule({ collectors, intervalMs: 3_600_000 });

    await module.start(context);
    await send({ type: 'resync', commandId: 'c1', issuedAt: 1, reason: 'gap', storedSeq: 10 });
    await module.stop();

    expect(published.map((r) => [r.kind, r.seq])).toEqual([
      ['full', 1],
      ['full', 11],
    ]);
    expect(results).toMatchObject([{ commandId: 'c1', status: 'succeeded', detail: { reportSeq: 11 } }]);
  });

  it('keeps epoch and sequence across a new module instance on the same data dir', async () => {
    const first = fakeContext(dataDir);
    const a = new InventoryModule({ collectors: mutableCollectors().collectors, intervalMs: 3_600_000 });
    await a.start(first.context);
    await a.stop();

    const second = fakeContext(dataDir);
    const b = new InventoryModule({ collectors: mutableCollectors().collectors, intervalMs: 3_600_000 });
    await b.start(second.context);
    await b.stop();

    expect(second.published[0]).toMatchObject({ kind: 'full', seq: 2, epoch: first.published[0]?.epoch });
  });

  it('reports a collector that times out in errors and still publishes the other sections', async () => {
    vi.useFakeTimers();
    const { collectors } = mutableCollectors();
    const hanging: SectionCollector = {
      section: 'services',
      collect: () => new Promise<JsonObject>(() => {}),
    };
    const { context, published } = fakeContext(dataDir);
    const module = new InventoryModule({
      collectors: [...collectors, hanging],
      intervalMs: 60_000,
      collectorTimeoutMs: 5_000,
    });

    const started = module.start(context);
    await vi.advanceTimersByTimeAsync(5_000);
    await started;
    await module.stop();

    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      kind: 'full',
      errors: [{ section: 'services', reason: 'services collector timed out after 5000 ms' }],
    });
    expect(published[0]?.kind === 'full' && Object.keys(published[0].sections)).toEqual(['os', 'software']);
  });

  it('keeps the last known value of a section whose collector starts failing', async () => {
    vi.useFakeTimers();
    let fail = false;
    const flaky: SectionCollector = {
      section: 'services',
      collect: async () => {
        if (fail) throw new Error('systemctl not answering');
        return { ssh: { running: true } };
      },
    };
    const { context, published } = fakeContext(dataDir);
    const module = new InventoryModule({ collectors: [flaky], intervalMs: 60_000 });

    await module.start(context);
    fail = true;
    await vi.advanceTimersByTimeAsync(60_000);
    await module.stop();

    expect(published[1]).toMatchObject({
      kind: 'diff',
      patches: {},
      errors: [{ section: 'services', reason: 'systemctl not answering' }],
    });
  });

  it('collects on the interval', async () => {
    vi.useFakeTimers();
    const { state, collectors } = mutableCollectors();
    const { context, published } = fakeContext(dataDir);
    const module = new InventoryModule({ collectors, intervalMs: 60_000 });

    await module.start(context);
    state.os.release = '24.04';
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    await module.stop();

    expect(published.map((r) => r.kind)).toEqual(['full', 'diff']);
  });
});
