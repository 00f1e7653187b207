import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentLogger } from '#agent/module.ts';
import { DiskOutbox, type OutboxMessage, outboxLimits } from '#agent/outbox.ts';

// No pacing here: outbox-pacing.test.ts covers it with fake timers.
const limits = outboxLimits({
  maxInFlight: 4,
  replay: { messagesPerSec: 1e6, bytesPerSec: 1e9, jitterMaxMs: 0 },
});

const recordingLogger = () => {
  const warnings: string[] = [];
  const logger: AgentLogger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg) => warnings.push(msg),
    error: () => undefined,
  };
  return { logger, warnings };
};

/** A sender that acks everything and records the order. */
const recorder = () => {
  const sent: string[] = [];
  return { sent, send: async (m: OutboxMessage) => void sent.push(m.payload.toString()) };
};

describe('disk outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends queued messages in enqueue order once attached', async () => {
    const outbox = await DiskOutbox.open(dir, limits, recordingLogger().logger);
    const stored = await Promise.all(
      ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((p) => outbox.put('dt/fleet/d/report', Buffer.from(p), 1)),
    );
    const { sent, send } = recorder();

    outbox.attach(send);
    await Promise.all(stored.map((s) => s.delivered));

    expect(sent).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(outbox.stats()).toEqual({ count: 0, bytes: 0 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('resolves enqueue only once the broker acknowledged the message', async () => {
    const outbox = await DiskOutbox.open(dir, limits, recordingLogger().logger);
    let ack: () => void = () => undefined;
    outbox.attach(() => new Promise<void>((resolve) => (ack = resolve)));
    let delivered = false;

    const done = outbox.enqueue('dt/fleet/d/report', Buffer.from('x'), 1).then(() => (delivered = true));
    await vi.waitFor(() => expect(outbox.stats().count).toBe(1));
    await new Promise((r) => setImmediate(r));
    expect(delivered).toBe(false);
    expect(await readdir(dir)).toHaveLength(1);

    ack();
    await done;
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a message whose send failed, and sends it on the next attach', async () => {
    const outbox = await DiskOutbox.open(dir, limits, recordingLogger().logger);
    outbox.attach(async () => {
      throw new Error('connection lost');
    });
    const { delivered } = await outbox.put('dt/fleet/d/report', Buffer.from('retry me'), 1);
    await vi.waitFor(() => expect(outbox.stats().count).toBe(1));
    outbox.detach();
    const { sent, send } = recorder();

    outbox.attach(send);
    await delivered;

    expect(sent).toEqual(['retry me']);
  });

  it('survives a restart: a new instance sends what the previous one queued, in order', async () => {
    const first = await DiskOutbox.open(dir, limits, recordingLogger().logger);
    for (const p of ['a', 'b', 'c']) await first.put('dt/fleet/d/report', Buffer.from(p), 1);
    await first.close();
    await writeFile(join(dir, '0000000000000099.msg.tmp'), 'half-written by a crash');

    const second = await DiskOutbox.open(dir, limits, recordingLogger().logger);
    await second.put('dt/fleet/d/report', Buffer.from('d'), 1);
    const { sent, send } = recorder();
    second.attach(send);

    expect(await second.flush(5_000)).toBe(true);
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a payload over the IoT Core limit', async () => {
    const outbox = await DiskOutbox.open(dir, limits, recordingLogger().logger);

    await expect(outbox.put('dt/fleet/d/report', Buffer.alloc(129 * 1024), 1)).rejects.toThrow(/limit/);
  });
});
