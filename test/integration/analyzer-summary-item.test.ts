/**
 * The session summary item's cost against the DynamoDB emulator (dynalite computes consumed
 * capacity as DynamoDB bills it): one write unit per fold however many apps a session runs, the
 * apps that matter kept, a stale first read never losing a count, older JSON items still read.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnalyzerDeps,
  foldIntoSummary,
  readSummary,
  SUMMARY_ITEM_MAX_BYTES,
  sessionSk,
} from '#lambdas/analyzer/session-store.ts';
import { OTHER_APPS } from '#lambdas/analyzer/summary.ts';
import { itemBytes } from '#lambdas/commons/item-size.ts';
import type { AppSample } from '#protocol/analyzer.ts';
import { createRng } from '#simulator/rng.ts';
import { oneSampleBatch } from '../support/analyzer-fixtures.ts';
import { type AnalyzerStoreFixture, startAnalyzerStore } from '../support/analyzer-store.ts';

let store: AnalyzerStoreFixture;
let client: DynamoDBClient;
let deps: AnalyzerDeps;
const TABLE = 'analyzer';

beforeAll(async () => {
  store = await startAnalyzerStore();
  ({ client, deps } = store);
});

afterAll(async () => {
  await store?.stop();
});

const batch = oneSampleBatch;

/** Write units DynamoDB bills for writing the stored item again as it is: its size in started KB. */
async function writeUnitsOf(deviceId: string, sessionId: string): Promise<number> {
  const key = { deviceId: { S: deviceId }, sk: { S: sessionSk(sessionId) } };
  const { Item } = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error('no summary item');
  const out = await client.send(
    new PutItemCommand({ TableName: TABLE, Item, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return out.ConsumedCapacity?.CapacityUnits ?? 0;
}

describe('analyzer summary item', () => {
  it('stays within one write unit for a session of 80 apps, keeping the top apps by focus and by CPU', async () => {
    // Distinct, long, incompressible names: even compressed, 48 of them need well over a KB.
    const rng = createRng(8);
    const apps: AppSample[] = Array.from({ length: 80 }, (_, i) => ({
      app: `${rng.hex(40)}.exe`,
      procs: 1,
      cpuPct: 0.1 * (i % 7),
      memMb: 50,
      focusSec: i < 40 ? 1 + i : 0,
    }));
    // A background service: never in the foreground, the busiest by far.
    apps.push({ app: 'backup-service', procs: 3, cpuPct: 60, memMb: 400, focusSec: 0 });
    for (let seq = 1; seq <= 3; seq++) await foldIntoSummary(deps, 'big', batch('s-big', seq, apps), 0);

    expect(await writeUnitsOf('big', 's-big')).toBe(1);
    const raw = await deps.ddb.send(
      new GetCommand({ TableName: TABLE, Key: { deviceId: 'big', sk: sessionSk('s-big') } }),
    );
    expect(itemBytes(raw.Item ?? {})).toBeLessThanOrEqual(SUMMARY_ITEM_MAX_BYTES);

    const stored = await readSummary(deps, 'big', 's-big');
    const kept = stored?.summary.apps ?? {};
    expect(kept['backup-service']).toEqual({ focusSec: 0, cpuPctSec: 3 * 60 * 15 });
    expect(kept[apps[39]?.app ?? '']).toEqual({ focusSec: 120, cpuPctSec: 18 });
    expect(kept[OTHER_APPS]).toBeDefined();
    // Nothing is lost: what was dropped is added up under "(other)".
    const focus = Object.values(kept).reduce((n, t) => n + t.focusSec, 0);
    expect(focus).toBe(3 * apps.reduce((n, a) => n + a.focusSec, 0));
    expect(stored?.summary.received).toEqual([[1, 3]]);
  });

  it('never loses a count when the first, eventually consistent read is stale', async () => {
    const apps: AppSample[] = [{ app: 'code', procs: 4, cpuPct: 5, memMb: 700, focusSec: 15 }];
    await foldIntoSummary(deps, 'stale', batch('s1', 1, apps), 0);
    const old = await deps.ddb.send(
      new GetCommand({ TableName: TABLE, Key: { deviceId: 'stale', sk: sessionSk('s1') } }),
    );
    await foldIntoSummary(deps, 'stale', batch('s1', 2, apps), 0);
    // A replica that has not seen the second fold yet answers every eventually consistent read.
    const stale: AnalyzerDeps = {
      table: TABLE,
      ddb: {
        send: async (command: unknown) =>
          command instanceof GetCommand && command.input.ConsistentRead === false
            ? { Item: old.Item }
            : deps.ddb.send(command as PutCommand),
      } as unknown as DynamoDBDocumentClient,
    };

    expect(await foldIntoSummary(stale, 'stale', batch('s1', 3, apps), 0)).toBe('counted');
    const stored = await readSummary(deps, 'stale', 's1');
    expect(stored?.summary.received).toEqual([[1, 3]]);
    expect(stored?.summary.samples).toBe(3);
  });

  it('reads a summary stored as JSON text, as items written before compression hold it', async () => {
    const summary = {
      sessionId: 's1',
      user: 'CORP\\ada',
      firstSeen: 1,
      lastSeen: 2,
      samples: 1,
      stateSec: { active: 15, idle: 0, locked: 0, disconnected: 0 },
      cpuPeakPct: 10,
      cpuSumPct: 10,
      memPeakPct: 40,
      memSumPct: 40,
      received: [[1, 1]],
      ended: false,
      apps: [['__proto__', 3, 30]],
    };
    await deps.ddb.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          deviceId: 'old',
          sk: sessionSk('s1'),
          sessionId: 's1',
          lastSeen: 2,
          summary: JSON.stringify(summary),
          version: 1,
        },
      }),
    );
    const stored = await readSummary(deps, 'old', 's1');
    expect(stored?.version).toBe(1);
    expect(Object.keys(stored?.summary.apps ?? {})).toEqual(['__proto__']);
    expect(await foldIntoSummary(deps, 'old', batch('s1', 2, []), 0)).toBe('counted');
    expect((await readSummary(deps, 'old', 's1'))?.summary.received).toEqual([[1, 2]]);
  });
});
