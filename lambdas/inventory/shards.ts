/**
 * How a section is cut into small items so that a diff rewrites only what it touches.
 *
 * A section is flattened into entries: objects larger than SPLIT_ABOVE_BYTES are split into their
 * children, recursively, so an entry is typically one collection item (a package, a service) or one
 * small value. Entries are spread over `n` shards by a hash of their path. Everything here is a pure
 * function of the content (and of the previous shard count), so two writers of the same version
 * produce byte-identical shards under the same keys — which is what makes the writes retry-safe.
 */

import { createHash } from 'node:crypto';
import { ProtocolError } from '#lambdas/commons/errors.ts';
import {
  emptyJsonObject,
  getKey,
  isJsonObject,
  type JsonObject,
  parseKeySafeJson,
  setKey,
} from '#protocol/json-object.ts';

export { isJsonObject };

export type Entry = readonly [path: readonly string[], value: unknown];

/** Objects larger than this (serialized) are split into their children. */
export const SPLIT_ABOVE_BYTES = 512;
/** Average shard payload we aim for: well under 1 KB, DynamoDB's write unit. */
export const SHARD_TARGET_BYTES = 600;
export const MAX_SHARDS_PER_SECTION = 1024;
/** DynamoDB items max out at 400 KB; keep head room for keys and attribute names. */
export const MAX_SHARD_BYTES = 350 * 1024;

export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

/** The serialized size of a value the cutter splits into its children; undefined when it is kept whole. */
export function splitBytes(value: unknown): number | undefined {
  if (!isJsonObject(value) || Object.keys(value).length === 0) return undefined;
  const bytes = jsonBytes(value);
  return bytes > SPLIT_ABOVE_BYTES ? bytes : undefined;
}

export function sectionEntries(content: JsonObject): Entry[] {
  const entries: Entry[] = [];
  const walk = (obj: JsonObject, path: readonly string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      const p = [...path, key];
      if (splitBytes(value) !== undefined) {
        walk(value as JsonObject, p);
      } else {
        entries.push([p, value]);
      }
    }
  };
  walk(content, []);
  return entries;
}

/** An object the cutter splits into its children (the section itself aside), with its serialized size. */
export type SplitObject = readonly [path: readonly string[], bytes: number];

/**
 * What the cut of a section depends on besides its entries: the section's serialized size (which
 * decides `n`) and the size of every object split into its children (which decides the entries).
 * Kept in the manifest so a diff can tell, without reading the section, whether it keeps the layout.
 */
export interface SectionLayout {
  readonly bytes: number;
  /** Sorted by path. */
  readonly split: readonly SplitObject[];
}

export const pathId = (path: readonly string[]): string => JSON.stringify(path);

export function sectionLayout(content: JsonObject): SectionLayout {
  const split: SplitObject[] = [];
  const walk = (obj: JsonObject, path: readonly string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      const bytes = splitBytes(value);
      if (bytes === undefined) continue;
      const p = [...path, key];
      split.push([p, bytes]);
      walk(value as JsonObject, p);
    }
  };
  walk(content, []);
  split.sort((a, b) => (pathId(a[0]) < pathId(b[0]) ? -1 : 1));
  return { bytes: jsonBytes(content), split };
}

/** The section back from its entries. Paths are device keys: built with setKey, never `node[key] =`. */
export function assembleEntries(entries: Iterable<Entry>): JsonObject {
  const root = emptyJsonObject();
  for (const [path, value] of entries) {
    let node = root;
    for (const key of path.slice(0, -1)) {
      const next = getKey(node, key);
      if (isJsonObject(next)) {
        node = next;
      } else {
        const created = emptyJsonObject();
        setKey(node, key, created);
        node = created;
      }
    }
    const last = path[path.length - 1];
    if (last !== undefined) setKey(node, last, value);
  }
  return root;
}

/** FNV-1a, 32 bit: stable across processes and versions, unlike anything seeded. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const pathKey = (path: readonly string[]): string => path.join('\u0000');

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * Shard count for a section of `bytes`. The previous count is kept while it stays reasonable, so a
 * section growing by one package does not reshuffle (and rewrite) all its shards.
 */
export function chooseShardCount(bytes: number, previous?: number): number {
  const target = Math.max(1, Math.ceil(bytes / SHARD_TARGET_BYTES));
  if (previous !== undefined && previous >= target * 0.75 && previous <= target * 4) return previous;
  return Math.min(MAX_SHARDS_PER_SECTION, pow2AtLeast(target));
}

/** Which of `n` shards holds the entry at `path`. */
export const shardIndexOf = (path: readonly string[], n: number): number => fnv1a(pathKey(path)) % n;

/** The section cut into `n` shards; '' marks an empty shard (no item is stored for it). */
export function buildShards(content: JsonObject, n: number): string[] {
  const buckets: Entry[][] = Array.from({ length: n }, () => []);
  for (const entry of sectionEntries(content)) {
    buckets[shardIndexOf(entry[0], n)]?.push(entry);
  }
  return buckets.map(encodeShard);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/**
 * A total order on paths. pathKey alone is not one: keys are device data and may contain NUL, so
 * ["a\u0000b"] and ["a", "b"] tie — and a tie would leave the bytes to the input order.
 */
const byPath = (a: Entry, b: Entry): number =>
  compareText(pathKey(a[0]), pathKey(b[0])) || compareText(pathId(a[0]), pathId(b[0]));

/** One shard's data from its entries ('' when none): sorted by path, so the same entries give the same bytes. */
export function encodeShard(entries: readonly Entry[]): string {
  if (entries.length === 0) return '';
  const bucket = [...entries].sort(byPath);
  const data = JSON.stringify(bucket);
  if (Buffer.byteLength(data, 'utf8') > MAX_SHARD_BYTES) {
    throw new ProtocolError(`an inventory value at ${bucket[0]?.[0].join('.')} is too large to store`);
  }
  return data;
}

export function parseShard(data: string): Entry[] {
  return parseKeySafeJson(data) as Entry[];
}

export function sectionBytes(content: JsonObject): number {
  return jsonBytes(content);
}

/**
 * Per section: the shard count and, per shard, which version holds it — `gen * 2 + slot` (the
 * generation that wrote it and the slot it lives in), undefined for an empty shard — and the layout
 * (section size, split objects' sizes). Encoded compactly (`n[:digest36]|v36,v36,,...|bytes36|[split...]`)
 * because the meta item is rewritten on every report and DynamoDB bills it by size. A manifest
 * without a layout (written before layouts existed, or whose split list is too long to keep in meta)
 * is valid: diffs of that section then read it whole.
 */
export interface SectionManifest {
  readonly n: number;
  readonly versions: readonly (number | undefined)[];
  readonly layout?: SectionLayout;
  /**
   * sectionDigest of the shards' data: lets a full report tell, without reading the section, that
   * its content cuts into exactly the stored shards (the reboot storm). Absent in manifests written
   * before digests existed; such a section is read.
   */
  readonly digest?: number;
}

/** Digests are sums modulo 2^48 of per-shard hashes, so replacing a few shards updates them exactly. */
const DIGEST_MODULUS = 2 ** 48;

const shardHash = (idx: number, data: string): number =>
  data === '' ? 0 : createHash('sha256').update(`${idx}\n${data}`, 'utf8').digest().readUIntBE(0, 6);

/** The digest of a section's shards (by index, '' = empty). */
export function sectionDigest(shards: readonly string[]): number {
  return shards.reduce((sum, data, idx) => (sum + shardHash(idx, data)) % DIGEST_MODULUS, 0);
}

/** `digest` after the shards at the given indices changed from `before` to `after`. */
export function updateDigest(
  digest: number,
  changed: Iterable<readonly [idx: number, before: string, after: string]>,
): number {
  let sum = digest;
  for (const [idx, before, after] of changed) {
    sum = (sum - shardHash(idx, before) + DIGEST_MODULUS + shardHash(idx, after)) % DIGEST_MODULUS;
  }
  return sum;
}

/** A longer split list is not kept in meta (it would make every report's meta write dearer). */
export const MAX_LAYOUT_SPLIT_CHARS = 240;

export const versionOf = (gen: number, slot: number): number => gen * 2 + slot;
export const genOf = (version: number): number => Math.floor(version / 2);
export const slotOf = (version: number): number => version % 2;

export function encodeManifest(m: SectionManifest): string {
  const head = m.digest === undefined ? `${m.n}` : `${m.n}:${m.digest.toString(36)}`;
  const base = `${head}|${m.versions.map((v) => (v === undefined ? '' : v.toString(36))).join(',')}`;
  if (!m.layout) return base;
  const split = m.layout.split.length > 0 ? JSON.stringify(m.layout.split) : '';
  if (split.length > MAX_LAYOUT_SPLIT_CHARS) return base;
  return `${base}|${m.layout.bytes.toString(36)}${split ? `|${split}` : ''}`;
}

export function decodeManifest(text: string): SectionManifest {
  const [head = '', list = '', bytesText, ...rest] = text.split('|');
  const [nText = '', digestText] = head.split(':');
  const n = Number(nText);
  const parsed = list.split(',').map((v) => (v === '' ? undefined : Number.parseInt(v, 36)));
  const versions = Array.from({ length: n }, (_, i) => parsed[i]);
  const digest = digestText === undefined ? {} : { digest: Number.parseInt(digestText, 36) };
  if (bytesText === undefined) return { n, versions, ...digest };
  // The split list is JSON, whose strings may contain '|'.
  const split = rest.length > 0 ? (JSON.parse(rest.join('|')) as SplitObject[]) : [];
  return { n, versions, layout: { bytes: Number.parseInt(bytesText, 36), split }, ...digest };
}
