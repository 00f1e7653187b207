import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INVENTORY_SETTINGS } from '#lambdas/inventory/deps.ts';
import { offlineGraceSetting } from '#wiring/devices.ts';
import { compose, type Feature } from '#wiring/feature.ts';
import { operatorDeadLetterQueues, settings } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { inventorySettings } from '#wiring/inventory.ts';

const fn = (overrides: Partial<FunctionSpec> = {}): FunctionSpec => ({
  entry: 'lambdas/x.ts',
  description: 'x',
  memoryMb: 256,
  timeoutSec: 10,
  trigger: { kind: 'api', routes: ['GET /x'] },
  access: {},
  ...overrides,
});
const table = { partitionKey: 'id', envVar: 'THINGS_TABLE', localName: 't' };
const queue = (envVar: string) => ({ envVar, localName: 'q', visibilityTimeoutSec: 30, retentionDays: 4 });

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('wiring composition', () => {
  it('merges the features into one declaration with the names each declares', () => {
    const a: Feature = { name: 'a', tables: { things: table }, functions: { reader: fn() } };
    const b: Feature = {
      name: 'b',
      functions: { writer: fn({ access: { tables: { things: 'readWrite' } } }) },
    };

    const composed = compose([a, b]);

    expect(Object.keys(composed.functions)).toEqual(['reader', 'writer']);
    expect(Object.keys(composed.tables)).toEqual(['things']);
  });

  it('refuses one name declared by two features, naming both', () => {
    const a: Feature = { name: 'a', tables: { things: table } };
    const b: Feature = { name: 'b', tables: { things: table } };

    expect(() => compose([a, b])).toThrow("wiring: tables 'things' is declared by both a and b");
  });

  it('refuses a function naming a resource no feature declares', () => {
    const a: Feature = { name: 'a', functions: { f: fn({ access: { queues: { nowhere: 'send' } } }) } };

    expect(() => compose([a])).toThrow("wiring: function f names unknown queue 'nowhere' (declared: none)");
  });

  it('refuses one setting with two defaults (the local cloud runs all handlers in one environment)', () => {
    const setting = (value: string) => ({ name: 'S', default: value, doc: '' });
    const a: Feature = {
      name: 'a',
      functions: { f: fn({ settings: [setting('1')] }), g: fn({ settings: [setting('2')] }) },
    };

    expect(() => compose([a])).toThrow('wiring: function g gives setting S a second default');
  });

  it('refuses a resource whose env var is not the one handlers derive from its name', () => {
    const a: Feature = { name: 'a', queues: { workDeadLetter: queue('WORK_DEAD_LETTER_URL') } };

    expect(() => compose([a])).toThrow(
      'wiring: queue workDeadLetter must name its env var WORK_DLQ_URL (handlers derive it), not WORK_DEAD_LETTER_URL',
    );
  });

  it('refuses an operator name on a queue that is not a dead-letter queue', () => {
    const a: Feature = {
      name: 'a',
      queues: {
        work: {
          ...queue('WORK_QUEUE_URL'),
          deadLetter: { queue: 'dlq', maxReceiveCount: 3 },
          operatorName: 'work',
        },
        dlq: queue('DLQ_QUEUE_URL'),
      },
    };

    expect(() => compose([a])).toThrow('wiring: queue work: only dead-letter queues get an operator name');
  });
});

describe('the fleet wiring', () => {
  it('lists the dead-letter queues operators inspect by the names they type', () => {
    expect(operatorDeadLetterQueues).toEqual({
      ingest: 'ingestDeadLetter',
      reports: 'reportsDeadLetter',
      analyzer: 'analyzerDeadLetter',
      'analyzer-tables': 'analyzerTablesDeadLetter',
      'command-fanout': 'commandFanoutDeadLetter',
      'command-dispatch': 'commandDispatchDeadLetter',
    });
  });

  it("declares settings with the defaults the handlers' code falls back to", () => {
    expect(Number(offlineGraceSetting.default)).toBe(180);
    expect(Number(inventorySettings.gapGrace.default) * 1000).toBe(DEFAULT_INVENTORY_SETTINGS.gapGraceMs);
    expect(Number(inventorySettings.resyncInterval.default) * 1000).toBe(
      DEFAULT_INVENTORY_SETTINGS.resyncIntervalMs,
    );
  });

  it('declares every setting a handler reads from its environment', () => {
    const read = new Set<string>();
    for (const file of sourceFiles('lambdas')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/numberFromEnv\(\s*'([A-Z0-9_]+)'/g)) {
        if (match[1]) read.add(match[1]);
      }
    }

    expect(read).toContain('INVENTORY_GAP_GRACE_SEC');
    expect([...read].filter((name) => !settings.some((s) => s.name === name))).toEqual([]);
  });
});
