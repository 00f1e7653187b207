/**
 * Counts numbered messages at a test broker: every client publish is recorded by data class
 * (Basic Ingest prefix stripped) in arrival order, so fault tests can assert zero loss, order kept
 * per class, and how many duplicates QoS 1 produced.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import { type DataClass, dataClassOf } from '#agent/outbox/classes.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { parseBasicIngest } from '#protocol/topics.ts';

export interface StreamCount {
  /** Numbers in arrival order, duplicates included. */
  readonly arrivals: number[];
  /** Distinct numbers received. */
  readonly distinct: Set<number>;
}

export interface BrokerStream {
  of(dataClass: DataClass): StreamCount;
  /** Raw payloads of a class, in arrival order (for non-numbered messages, e.g. reports). */
  payloads(dataClass: DataClass): Buffer[];
  stop(): void;
}

/** Numbered stream messages are JSON `{ "n": <number> }`. */
export const streamPayload = (n: number): Buffer => Buffer.from(JSON.stringify({ n }));

export function recordStream(aedes: Aedes): BrokerStream {
  const counts = new Map<DataClass, StreamCount>();
  const raw = new Map<DataClass, Buffer[]>();
  const countOf = (c: DataClass): StreamCount => {
    let count = counts.get(c);
    if (count === undefined) {
      count = { arrivals: [], distinct: new Set() };
      counts.set(c, count);
    }
    return count;
  };
  const onPublish = (packet: AedesPublishPacket, client: unknown) => {
    if (client === null || packet.topic.startsWith('$SYS')) return;
    const topic = parseBasicIngest(packet.topic)?.topic ?? packet.topic;
    if (topic.endsWith('/heartbeat')) return;
    const dataClass = dataClassOf(topic);
    const payload = Buffer.from(packet.payload as Buffer);
    const list = raw.get(dataClass) ?? [];
    list.push(payload);
    raw.set(dataClass, list);
    let n: unknown;
    try {
      n = (decodeJson(payload) as { n?: unknown }).n;
    } catch {
      return; // not a numbered message
    }
    if (typeof n !== 'number') return;
    const count = countOf(dataClass);
    count.arrivals.push(n);
    count.distinct.add(n);
  };
  aedes.on('publish', onPublish);
  return {
    of: countOf,
    payloads: (c) => raw.get(c) ?? [],
    stop: () => aedes.off('publish', onPublish),
  };
}

/**
 * Numbers 1..n all arrived, and in order: the first arrival of each number comes after the first
 * arrival of every smaller one. Returns the duplicates count for the report.
 */
export function expectWholeInOrder(count: StreamCount, n: number): { duplicates: number } {
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!count.distinct.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new Error(`${missing.length} of ${n} lost: ${missing.slice(0, 20).join(', ')}`);
  }
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const value of count.arrivals) {
    if (seen.has(value)) continue;
    seen.add(value);
    firsts.push(value);
  }
  for (let i = 1; i < firsts.length; i++) {
    if ((firsts[i] ?? 0) < (firsts[i - 1] ?? 0)) {
      throw new Error(`out of order: ${firsts[i]} first arrived after ${firsts[i - 1]}`);
    }
  }
  return { duplicates: count.arrivals.length - count.distinct.size };
}
