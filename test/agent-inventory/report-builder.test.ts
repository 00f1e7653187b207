import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReport, type ReportBaseline } from '#agent/inventory/report-builder.ts';
import type { CollectedInventory, InventorySections } from '#agent/inventory/sections.ts';
import { MemorySequenceStore } from '#agent/inventory/sequence-store.ts';
import { type JsonObject, ReportSchema, SECTION_NAMES } from '#protocol/inventory.ts';
import { applyMergePatch } from '#protocol/merge-patch.ts';

const collected = (
  sections: InventorySections,
  errors: CollectedInventory['errors'] = [],
): CollectedInventory => ({
  sections,
  errors,
  collectedAt: 1_700_000_000_000,
});
const opts = { agentVersion: '1.0.0' };

// Null-free JSON objects, nested like inventory sections (maps of entries of scalars/arrays).
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean());
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    tie('object') as fc.Arbitrary<JsonObject>,
  ),
  object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'name', 'version', 'x'), tie('value'), { maxKeys: 4 }),
})).object as fc.Arbitrary<JsonObject>;
const sections: fc.Arbitrary<InventorySections> = fc.record(
  Object.fromEntries(SECTION_NAMES.map((name) => [name, jsonValue])) as Record<
    string,
    fc.Arbitrary<JsonObject>
  >,
  { requiredKeys: [] },
);

describe('buildReport', () => {
  it('sends a full report when there is no baseline', () => {
    const store = new MemorySequenceStore('e1');
    const built = buildReport(undefined, collected({ os: { distro: 'Ubuntu' } }), store, opts);
    expect(built?.report).toMatchObject({
      kind: 'full',
      seq: 1,
      epoch: 'e1',
      sections: { os: { distro: 'Ubuntu' } },
    });
    expect(ReportSchema.safeParse(built?.report).success).toBe(true);
  });

  it('sends nothing and takes no sequence when nothing changed', () => {
    const store = new MemorySequenceStore('e1');
    const first = buildReport(undefined, collected({ os: { distro: 'Ubuntu' } }), store, opts);
    const second = buildReport(first?.baseline, collected({ os: { distro: 'Ubuntu' } }), store, opts);
    expect(second).toBeUndefined();
    expect(store.current).toBe(1);
  });

  it('patches only the touched key of the touched section, on the previous sequence', () => {
    const store = new MemorySequenceStore('e1');
    const before = {
      software: { 'a:amd64': { version: '1' }, 'b:amd64': { version: '2' } },
      os: { distro: 'Ubuntu' },
    };
    const first = buildReport(undefined, collected(before), store, opts);
    const after = { ...before, software: { 'a:amd64': { version: '1' }, 'c:amd64': { version: '3' } } };
    const diff = buildReport(first?.baseline, collected(after), store, opts)?.report;
    expect(diff).toMatchObject({
      kind: 'diff',
      seq: 2,
      baseSeq: 1,
      patches: { software: { 'b:amd64': null, 'c:amd64': { version: '3' } } },
    });
    expect(diff?.kind === 'diff' && Object.keys(diff.patches)).toEqual(['software']);
    expect(ReportSchema.safeParse(diff).success).toBe(true);
  });

  it('sends a diff with no patches when only the collector errors changed', () => {
    const store = new MemorySequenceStore('e1');
    const first = buildReport(undefined, collected({ os: { distro: 'Ubuntu' } }), store, opts);
    const errors = [{ section: 'software' as const, reason: 'timed out' }];
    const diff = buildReport(
      first?.baseline,
      collected({ os: { distro: 'Ubuntu' } }, errors),
      store,
      opts,
    )?.report;
    expect(diff).toMatchObject({ kind: 'diff', patches: {}, errors });
  });

  it('sends a full report on resync and when the epoch changed', () => {
    const store = new MemorySequenceStore('e1');
    const first = buildReport(undefined, collected({ os: { distro: 'Ubuntu' } }), store, opts);
    const resync = buildReport(first?.baseline, collected({ os: { distro: 'Ubuntu' } }), store, {
      ...opts,
      forceFull: true,
    });
    expect(resync?.report).toMatchObject({ kind: 'full', seq: 2 });
    const newEpoch = buildReport(
      resync?.baseline,
      collected({ os: { distro: 'Ubuntu' } }),
      new MemorySequenceStore('e2'),
      opts,
    );
    expect(newEpoch?.report).toMatchObject({ kind: 'full', seq: 1, epoch: 'e2' });
  });

  it('applying the diff to the previous state reproduces the next state, for any states', () => {
    fc.assert(
      fc.property(sections, sections, (prevSections, nextSections) => {
        const store = new MemorySequenceStore('e1');
        const baseline: ReportBaseline = {
          epoch: 'e1',
          seq: store.next(),
          sections: prevSections,
          errors: [],
        };
        const built = buildReport(baseline, collected(nextSections), store, opts);
        if (built === undefined) {
          expect(nextSections).toEqual(prevSections);
          return;
        }
        const report = built.report;
        if (report.kind !== 'diff') throw new Error('expected a diff');
        for (const name of SECTION_NAMES) {
          const patch = report.patches[name];
          const applied =
            patch === undefined ? prevSections[name] : applyMergePatch(prevSections[name] ?? {}, patch);
          expect(applied ?? {}).toEqual(nextSections[name] ?? {});
        }
      }),
      { numRuns: 300 },
    );
  });
});
