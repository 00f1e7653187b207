import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSequenceStore } from '#agent/inventory/sequence-store.ts';

describe('FileSequenceStore', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'inv-seq-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts a new epoch at 0 and persists every sequence it hands out', () => {
    const store = FileSequenceStore.open(dataDir, () => 'epoch-a');
    expect(store.next()).toBe(1);
    expect(store.next()).toBe(2);
    expect(JSON.parse(readFileSync(join(dataDir, 'inventory-sequence.json'), 'utf8'))).toEqual({
      epoch: 'epoch-a',
      seq: 2,
    });
  });

  it('continues the same epoch and sequence after a restart', () => {
    FileSequenceStore.open(dataDir, () => 'epoch-a').next();
    const reopened = FileSequenceStore.open(dataDir, () => 'epoch-b');
    expect(reopened.epoch).toBe('epoch-a');
    expect(reopened.next()).toBe(2);
  });

  it('starts a new epoch when the file is unreadable', () => {
    writeFileSync(join(dataDir, 'inventory-sequence.json'), '{not json');
    const store = FileSequenceStore.open(dataDir, () => 'epoch-new');
    expect(store.epoch).toBe('epoch-new');
    expect(store.current).toBe(0);
  });

  it('jumps past a sequence the cloud holds, and never goes back', () => {
    const store = FileSequenceStore.open(dataDir, () => 'epoch-a');
    store.advancePast(41);
    expect(store.next()).toBe(42);
    store.advancePast(3);
    expect(store.next()).toBe(43);
  });
});
