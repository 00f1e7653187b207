import { afterEach, describe, expect, it } from 'vitest';
import { compact, keyedBy } from '#agent/inventory/collectors/compact.ts';
import { parseRpmQuery } from '#agent/inventory/collectors/installed-software.ts';
import { buildReport, MemorySequenceStore } from '#agent/inventory/index.ts';
import { applyLocal, localTargets } from '#lambdas/inventory/partial-apply.ts';
import {
  assembleEntries,
  buildShards,
  chooseShardCount,
  type Entry,
  encodeShard,
  parseShard,
  sectionEntries,
  sectionLayout,
} from '#lambdas/inventory/shards.ts';
import { summarizeSectionChange } from '#lambdas/inventory/summary.ts';
import { Codec, decodeFramed, decodeJson, encodeFramed } from '#protocol/encoding.ts';
import { ReportSchema } from '#protocol/inventory.ts';
import { type JsonObject, toKeySafe } from '#protocol/json-object.ts';
import { applyMergePatch, createMergePatch, withoutNulls } from '#protocol/merge-patch.ts';
import {
  canonicalJson,
  expectPrototypeUntouched,
  HOSTILE_KEYS,
  hostileSection,
  obj,
} from '../support/hostile-keys.ts';

afterEach(() => expectPrototypeUntouched());

const fullWith = (software: JsonObject) => ({
  schema: 1,
  kind: 'full',
  epoch: 'e1',
  seq: 1,
  collectedAt: 1,
  agentVersion: '1.0.0',
  sections: obj(['software', software]),
});

describe('decoding device JSON', () => {
  it.each([Codec.Json, Codec.Brotli, Codec.Gzip])(
    'keeps __proto__, constructor and prototype keys at every depth (codec %s)',
    (codec) => {
      const section = hostileSection();
      const decoded = decodeFramed(encodeFramed(fullWith(section), codec));
      const report = ReportSchema.parse(decoded);
      if (report.kind !== 'full') throw new Error('expected a full report');
      const software = report.sections.software as JsonObject;
      expect(canonicalJson(software)).toBe(canonicalJson(section));
      for (const key of HOSTILE_KEYS) expect(Object.hasOwn(software, key)).toBe(true);
      expect(Object.getPrototypeOf(software)).toBeNull();
    },
  );

  it('decodes objects without a prototype, so no member is inherited', () => {
    const value = decodeJson(Buffer.from('{"a":{"b":[{"c":1}]}}')) as JsonObject;
    const inner = ((value.a as JsonObject).b as JsonObject[])[0] as JsonObject;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.getPrototypeOf(inner)).toBeNull();
    expect(value.constructor).toBeUndefined();
  });

  it('refuses a section named __proto__ instead of dropping it', () => {
    const text =
      '{"schema":1,"kind":"full","epoch":"e","seq":1,"collectedAt":1,"agentVersion":"1","sections":{"__proto__":{"polluted":1}}}';
    const parsed = ReportSchema.safeParse(decodeJson(Buffer.from(text)));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('unknown section "__proto__"');
  });

  it('copies deep values without recursion and keeps key order', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [obj(['k', deep])];
    expect(() => toKeySafe(deep)).not.toThrow();
    const ordered = toKeySafe(JSON.parse('{"z":1,"__proto__":2,"a":{"y":1,"b":2}}'));
    expect(JSON.stringify(ordered)).toBe('{"z":1,"__proto__":2,"a":{"y":1,"b":2}}');
  });
});

describe('merge patches', () => {
  it('set, change and delete hostile keys as data', () => {
    const before = hostileSection(0);
    const after = hostileSection(1);
    const patch = createMergePatch(before, after) as JsonObject;
    expect(Object.hasOwn(patch, '__proto__')).toBe(true);
    expect(canonicalJson(applyMergePatch(before, patch))).toBe(canonicalJson(after));

    const removed = applyMergePatch(before, obj(['__proto__', null], ['constructor', null]));
    expect(Object.hasOwn(removed, '__proto__')).toBe(false);
    expect(Object.hasOwn(removed, 'constructor')).toBe(false);
    expect(Object.hasOwn(removed, 'prototype')).toBe(true);
  });

  it('treat an inherited name as absent (constructor is not a member of {})', () => {
    const added = createMergePatch(obj(), obj(['constructor', obj(['a', 1])]));
    expect(canonicalJson(added)).toBe('{"constructor":{"a":1}}');
    expect(canonicalJson(withoutNulls(obj(['__proto__', obj(['x', null], ['y', 1])])))).toBe(
      '{"__proto__":{"y":1}}',
    );
  });
});

describe('cutting sections into shards', () => {
  it('splits objects along hostile paths and assembles them back exactly', () => {
    const section = hostileSection();
    const entries = sectionEntries(section);
    // The keys are inner path elements: this is what assembleEntries used to assign onto.
    expect(entries.some(([path]) => path.length > 2 && path[1] === '__proto__')).toBe(true);
    const n = chooseShardCount(sectionLayout(section).bytes);
    const shards = buildShards(section, n);
    const back = assembleEntries(shards.flatMap((s) => (s ? parseShard(s) : [])));
    expect(canonicalJson(back)).toBe(canonicalJson(section));
    expect(Object.getPrototypeOf(back)).toBeNull();
  });

  it('applies a diff locally along hostile paths, byte for byte like a whole re-cut', () => {
    const before = hostileSection(0);
    const after = hostileSection(1);
    const layout = sectionLayout(before);
    const n = chooseShardCount(layout.bytes);
    const shards = buildShards(before, n);
    const patch = createMergePatch(before, after) as JsonObject;
    const targets = localTargets(patch, { n, versions: shards.map(() => 1), layout });
    expect(targets).toBeDefined();
    if (!targets) return;
    const current = new Map(targets.shards.map((idx) => [idx, shards[idx] ?? '']));
    const result = applyLocal(targets, current, 512 * 1024);
    expect(result).toBeDefined();
    const recut = buildShards(after, n);
    for (const [idx, data] of result?.shards ?? []) expect(data).toBe(recut[idx]);
    expect(result?.layout).toEqual(sectionLayout(after));
  });

  it('summarizes changes under hostile keys by path', () => {
    const summary = summarizeSectionChange(hostileSection(0), hostileSection(1));
    expect(summary?.changed).toEqual(
      expect.arrayContaining([
        '__proto__',
        'nest/__proto__/__proto__/__proto__',
        'nest/constructor/prototype/__proto__',
      ]),
    );
    const small = summarizeSectionChange(obj(['a', 1]), obj(['a', 1], ['__proto__', 2], ['constructor', 3]));
    expect(small?.added).toEqual(['__proto__', 'constructor']);
  });
});

describe('agent report builder', () => {
  it('keeps hostile keys collected from the host', () => {
    const users = keyedBy(
      ['__proto__', 'constructor', '__proto__'],
      (name) => name,
      (name) => compact({ name, shell: '/bin/sh', empty: '' }),
    );
    expect(Object.keys(users)).toEqual(['__proto__', 'constructor', '__proto__#2']);
    const rpm = parseRpmQuery('__proto__\tnoarch\t0:1.0\t(none)\t0\n');
    expect(Object.keys(rpm)).toEqual(['__proto__:noarch']);

    const store = new MemorySequenceStore('e1');
    const first = buildReport(
      undefined,
      { sections: { users: hostileSection(0) }, errors: [], collectedAt: 1 },
      store,
      { agentVersion: '1.0.0' },
    );
    const next = buildReport(
      first?.baseline,
      { sections: { users: hostileSection(1) }, errors: [], collectedAt: 2 },
      store,
      { agentVersion: '1.0.0' },
    );
    const wire = ReportSchema.parse(decodeFramed(encodeFramed(next?.report)));
    if (wire.kind !== 'diff') throw new Error('expected a diff');
    const applied = applyMergePatch(hostileSection(0), wire.patches.users as JsonObject);
    expect(canonicalJson(applied)).toBe(canonicalJson(hostileSection(1)));
  });
});

describe('keys with NUL and unicode', () => {
  it('give the same shard bytes whatever the order the entries come in', () => {
    const entries: Entry[] = [
      [['a\u0000b'], 1],
      [['a', 'b'], 2],
      [['é', '\u0000'], 3],
      [['é\u0000'], 4],
    ];
    const forward = encodeShard(entries);
    expect(encodeShard([...entries].reverse())).toBe(forward);
    expect(canonicalJson(assembleEntries(parseShard(forward)))).toBe(
      canonicalJson(obj(['a\u0000b', 1], ['a', obj(['b', 2])], ['é', obj(['\u0000', 3])], ['é\u0000', 4])),
    );
  });
});
