/** Valid device messages to start from, and the raw building blocks of bad ones. */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Codec, encodeFramed, FRAME_MAGIC, FRAME_VERSION } from '#protocol/encoding.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import type { DiffReport, FullReport, JsonObject } from '#protocol/inventory.ts';

export type Sections = FullReport['sections'];

export function heartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    schema: 1,
    agentVersion: '1.0.0',
    uptimeSec: 10,
    reportSeq: 0,
    policyVersion: 0,
    sessions: [],
    connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: 12 },
    platform: 'linux',
    hostname: 'adversary',
    sentAt: Date.now(),
    ...overrides,
  };
}

export function fullReport(
  sections: Sections,
  m: { epoch: string; seq: number; collectedAt?: number },
): FullReport {
  return {
    schema: 1,
    kind: 'full',
    epoch: m.epoch,
    seq: m.seq,
    collectedAt: m.collectedAt ?? Date.now(),
    agentVersion: '1.0.0',
    errors: [],
    sections,
  };
}

export function diffReport(
  patches: DiffReport['patches'],
  m: { epoch: string; seq: number; baseSeq: number },
): DiffReport {
  return {
    schema: 1,
    kind: 'diff',
    epoch: m.epoch,
    seq: m.seq,
    baseSeq: m.baseSeq,
    collectedAt: Date.now(),
    agentVersion: '1.0.0',
    errors: [],
    patches,
  };
}

/** A frame around an arbitrary body (no JSON encoding: the body is taken as is). */
export function rawFrame(codec: number, body: Buffer, version = FRAME_VERSION): Buffer {
  return Buffer.concat([FRAME_MAGIC, Buffer.from([version, codec]), body]);
}

/** `depth` nested objects `{"a":{"a":...}}` as JSON text (built iteratively: no recursion here). */
export function deeplyNestedJson(depth: number, leaf = '1'): string {
  return `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** A report whose text is given as is (for shapes JSON.stringify cannot build, like deep nesting). */
export function framedText(text: string, codec: Codec = Codec.Brotli): Buffer {
  const json = Buffer.from(text, 'utf8');
  const body = codec === Codec.Gzip ? gzipSync(json) : brotliCompressSync(json);
  return rawFrame(codec, body);
}

/** Nested objects keyed `key` at every depth down to `depth`, with a marker at each level. */
export function keyedAtEveryDepth(key: string, depth: number): JsonObject {
  const root: JsonObject = Object.create(null);
  let node = root;
  for (let level = 0; level < depth; level++) {
    node.level = level;
    const child: JsonObject = Object.create(null);
    Object.defineProperty(node, key, { value: child, enumerable: true, writable: true, configurable: true });
    node = child;
  }
  node.leaf = true;
  return root;
}

export const framed = (value: unknown, codec: Codec = Codec.Brotli): Buffer => encodeFramed(value, codec);
