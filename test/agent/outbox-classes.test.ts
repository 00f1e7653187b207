import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '#agent/logger.ts';
import { dataClassOf } from '#agent/outbox/classes.ts';
import {
  DiskOutbox,
  encodeOutboxFile,
  InventoryBacklogCollapsed,
  OutboxClassFull,
  type OutboxMessage,
  type OutboxTuning,
  outboxLimits,
} from '#agent/outbox.ts';
import { topics } from '#protocol/topics.ts';

const D = 'dev-1';
const report = topics.report(D);
const analyzer = (session = 's1') => topics.analyzer(D, session);
const result = topics.commandResult(D);

const tuning = (classes: OutboxTuning['classes']): ReturnType<typeof outboxLimits> =>
  outboxLimits({ classes, replay: { messagesPerSec: 1e6, bytesPerSec: 1e9, jitterMaxMs: 0 } });

const drain = async (outbox: DiskOutbox): Promise<string[]> => {
  const sent: string[] = [];
  outbox.attach(async (m: OutboxMessage) => void sent.push(m.payload.toString()));
  expect(await outbox.flush(5_000)).toBe(true);
  outbox.detach();
  return sent;
};

describe('outbox data classes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-outbox-classes-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('derives the class from the topic', () => {
    expect(dataClassOf(report)).toBe('inventory');
    expect(dataClassOf(analyzer())).toBe('analyzer');
    expect(dataClassOf(result)).toBe('command-result');
    expect(dataClassOf(topics.policyRequest(D))).toBe('other');
    expect(dataClassOf('not/ours')).toBe('other');
  });

  it('drops the oldest analyzer batch when the analyzer share is full, never another class, and counts it', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      tuning({ analyzer: { maxMessages: 2, maxBytes: 1e6 } }),
      silentLogger,
    );
    await outbox.put(result, Buffer.from('r1'), 1);
    const first = await outbox.put(analyzer(), Buffer.from('a1'), 1);
    await outbox.put(report, Buffer.from('i1'), 1);
    await outbox.put(analyzer('s2'), Buffer.from('a2'), 1);

    await outbox.put(analyzer(), Buffer.from('a3'), 1);
    await outbox.put(analyzer(), Buffer.from('a4'), 1);

    await expect(first.delivered).rejects.toThrow(/analyzer share/);
    expect(outbox.status()).toMatchObject({ queued: 4, analyzerBatchesDropped: 2, inventoryCollapses: 0 });
    expect(await drain(outbox)).toEqual(['r1', 'i1', 'a3', 'a4']);
  });

  it('keeps the analyzer share under its byte bound on disk', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      tuning({ analyzer: { maxMessages: 1_000, maxBytes: 5_000 } }),
      silentLogger,
    );

    for (let i = 0; i < 20; i++) await outbox.put(analyzer(), Buffer.alloc(1_000, i), 1);

    const sizes = await Promise.all((await readdir(dir)).map(async (f) => (await stat(join(dir, f))).size));
    const onDisk = sizes.reduce((a, b) => a + b, 0) - (await stat(join(dir, 'counters.json'))).size;
    expect(onDisk).toBeLessThanOrEqual(5_000);
    expect(outbox.status().analyzerBatchesDropped).toBe(20 - outbox.status().queued);
  });

  it('collapses an inventory backlog past its bound: the queued reports go and the put asks for a full report', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      tuning({ inventory: { maxMessages: 3, maxBytes: 1e6 } }),
      silentLogger,
    );
    const queued = [];
    for (const p of ['i1', 'i2', 'i3']) queued.push(await outbox.put(report, Buffer.from(p), 1));
    await outbox.put(analyzer(), Buffer.from('a1'), 1);

    const refused = outbox.put(report, Buffer.from('i4'), 1);

    await expect(refused).rejects.toBeInstanceOf(InventoryBacklogCollapsed);
    for (const q of queued) await expect(q.delivered).rejects.toBeInstanceOf(InventoryBacklogCollapsed);
    expect(outbox.status()).toMatchObject({ queued: 1, inventoryCollapses: 1 });
    // The answer, one full report, gets in at once.
    await outbox.put(report, Buffer.from('full'), 1);
    expect(await drain(outbox)).toEqual(['a1', 'full']);
  });

  it('never collapses an in-flight report, and lets a lone report in over the byte bound', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      tuning({ inventory: { maxMessages: 1, maxBytes: 100 } }),
      silentLogger,
    );
    let ack: () => void = () => undefined;
    const sent: string[] = [];
    outbox.attach(async (m) => {
      sent.push(m.payload.toString());
      await new Promise<void>((resolve) => (ack = resolve));
    });
    const big = await outbox.put(report, Buffer.alloc(500, 'f'), 1);

    // The big one is in flight: a second report is admitted over the bound, not collapsed.
    await expect(outbox.put(report, Buffer.from('d1'), 1)).resolves.toBeDefined();
    ack();
    await big.delivered;
    expect(outbox.status().inventoryCollapses).toBe(0);
  });

  it('refuses a command result past its bound and keeps the queued ones', async () => {
    const outbox = await DiskOutbox.open(
      dir,
      tuning({ 'command-result': { maxMessages: 2, maxBytes: 1e6 } }),
      silentLogger,
    );
    await outbox.put(result, Buffer.from('r1'), 1);
    await outbox.put(result, Buffer.from('r2'), 1);

    await expect(outbox.put(result, Buffer.from('r3'), 1)).rejects.toBeInstanceOf(OutboxClassFull);
    // Other classes' pressure never touches results.
    for (let i = 0; i < 5; i++) await outbox.put(analyzer(), Buffer.from(`a${i}`), 1);
    expect(await drain(outbox)).toEqual(['r1', 'r2', 'a0', 'a1', 'a2', 'a3', 'a4']);
  });

  it('persists the counters across a restart', async () => {
    const limits = tuning({
      analyzer: { maxMessages: 1, maxBytes: 1e6 },
      inventory: { maxMessages: 1, maxBytes: 1e6 },
    });
    const first = await DiskOutbox.open(dir, limits, silentLogger);
    for (let i = 0; i < 4; i++) await first.put(analyzer(), Buffer.from(`a${i}`), 1);
    await first.put(report, Buffer.from('i1'), 1);
    await first.put(report, Buffer.from('i2'), 1).catch(() => undefined);
    await first.close();

    const second = await DiskOutbox.open(dir, limits, silentLogger);

    expect(second.status()).toMatchObject({ analyzerBatchesDropped: 3, inventoryCollapses: 1, queued: 1 });
    expect(JSON.parse(await readFile(join(dir, 'counters.json'), 'utf8'))).toEqual({
      analyzerBatchesDropped: 3,
      inventoryCollapses: 1,
    });
  });

  it('starts counting from zero when the counters file is unreadable, and still opens', async () => {
    await writeFile(join(dir, 'counters.json'), '{"analyzerBatchesDropped": -1');

    const outbox = await DiskOutbox.open(dir, tuning({}), silentLogger);

    expect(outbox.status()).toEqual({
      queued: 0,
      bytes: 0,
      analyzerBatchesDropped: 0,
      inventoryCollapses: 0,
    });
  });

  it('recovers whatever a crash leaves between two steps: temp files go, whole messages are sent, a bad one is moved aside', async () => {
    const file = (seq: number, topic: string, body: string) => {
      const data = encodeOutboxFile({ topic, qos: 1, enqueuedAt: 0 }, Buffer.from(body));
      const cls = dataClassOf(topic);
      return { name: `${String(seq).padStart(16, '0')}.${cls}.${data.length}.msg`, data };
    };
    const whole = [file(1, result, 'r1'), file(2, report, 'i1'), file(4, analyzer(), 'a1')];
    for (const f of whole) await writeFile(join(dir, f.name), f.data);
    // put: killed between write and rename; counters: the same; a disk fault in a renamed file.
    await writeFile(join(dir, `${file(5, result, 'r2').name}.tmp`), 'half');
    await writeFile(join(dir, 'counters.json'), '{"analyzerBatchesDropped":2,"inventoryCollapses":1}');
    await writeFile(join(dir, 'counters.json.tmp'), '{"analyzerBatch');
    await writeFile(join(dir, `${String(3).padStart(16, '0')}.other.9.msg`), 'not FPOB1');

    const outbox = await DiskOutbox.open(dir, tuning({}), silentLogger);
    const sent = await drain(outbox);

    expect(sent).toEqual(['r1', 'i1', 'a1']);
    expect(outbox.status()).toEqual({
      queued: 0,
      bytes: 0,
      analyzerBatchesDropped: 2,
      inventoryCollapses: 1,
    });
    expect((await readdir(dir)).sort()).toEqual(['0000000000000003.other.9.msg.corrupt', 'counters.json']);
    // The next message takes a sequence after everything that was on disk.
    await outbox.put(result, Buffer.from('next'), 1);
    expect((await readdir(dir)).some((n) => n.startsWith('0000000000000005.'))).toBe(true);
  });

  it('opens a folder of 10,000 queued messages from their names alone, in order, and sends them all', async () => {
    const files = Array.from({ length: 10_000 }, (_, i) => {
      const data = encodeOutboxFile({ topic: result, qos: 1, enqueuedAt: 0 }, Buffer.from(String(i)));
      return { name: `${String(i + 1).padStart(16, '0')}.command-result.${data.length}.msg`, data };
    });
    for (const f of files) await writeFile(join(dir, f.name), f.data);
    // One left by an earlier version, named by its sequence only.
    const legacy = encodeOutboxFile({ topic: analyzer(), qos: 1, enqueuedAt: 0 }, Buffer.from('legacy'));
    await writeFile(join(dir, `${String(10_001).padStart(16, '0')}.msg`), legacy);

    const outbox = await DiskOutbox.open(
      dir,
      tuning({ 'command-result': { maxMessages: 20_000, maxBytes: 1e9 } }),
      silentLogger,
    );

    expect(outbox.stats()).toEqual({
      count: 10_001,
      bytes: files.reduce((sum, f) => sum + f.data.length, 0) + legacy.length,
    });
    const sent = await drain(outbox);
    expect(sent).toEqual([...files.map((_, i) => String(i)), 'legacy']);
  });
});
