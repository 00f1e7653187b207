/**
 * Listing a busy device's sessions against dynalite with the tables the local cloud creates (the
 * sessions index included): more sessions in one day than one summary read or one page holds,
 * ordered by last sample across and within days, each listed once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnalyzerDeps,
  foldIntoSummary,
  listSessions,
  type SessionsPosition,
} from '#lambdas/analyzer/session-store.ts';
import { createTables, type LocalDynamoDb, startDynamoDb } from '#local/dynamodb.ts';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { tables } from '#wiring/fleet.ts';

const DEVICE = 'busy-terminal-server';
const DAY = Date.UTC(2025, 2, 10);
/** 130 sessions ending on one day (more than one BatchGetItem's 100 keys), 5 the day before. */
const SESSIONS = [
  ...Array.from({ length: 130 }, (_, i) => ({ lastT: DAY + 60_000 * (i + 1), day: 1 })),
  ...Array.from({ length: 5 }, (_, i) => ({ lastT: DAY - 3_600_000 * (i + 1), day: 0 })),
].map((s, i) => ({
  ...s,
  // Ids in an order unrelated to time: the index cannot hand them out in listing order.
  id: `u-${String((i * 37) % 135).padStart(3, '0')}`,
}));
const MOST_RECENT_FIRST = [...SESSIONS].sort((a, b) => b.lastT - a.lastT).map((s) => s.id);

function batchEndingAt(sessionId: string, t: number): AnalyzerBatch {
  const sample = {
    state: 'active',
    cpuPct: 10,
    memPct: 20,
    diskKBps: 0,
    netRxKBps: 0,
    netTxKBps: 0,
    apps: [],
  };
  return {
    sessionId,
    user: 'u',
    seq: 1,
    intervalSec: 15,
    final: false,
    samples: [
      { ...sample, t: t - 15_000, state: 'active' },
      { ...sample, t, state: 'idle' },
    ],
  };
}

let dir: string;
let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let deps: AnalyzerDeps;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp-session-listing-'));
  dynamo = await startDynamoDb({ dir, port: 0 });
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(client);
  deps = { ddb: DynamoDBDocumentClient.from(client), table: tables.analyzer.localName };
  for (const s of SESSIONS) await foldIntoSummary(deps, DEVICE, batchEndingAt(s.id, s.lastT), Date.now());
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function listAll(
  pageSize: number,
  range: { from?: number; to?: number } = {},
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let startAfter: SessionsPosition | undefined;
  let pages = 0;
  do {
    const page = await listSessions(deps, DEVICE, {
      limit: pageSize,
      ...range,
      ...(startAfter ? { startAfter } : {}),
    });
    ids.push(...page.summaries.map((s) => s.sessionId));
    startAfter = page.next;
    pages++;
  } while (startAfter !== undefined && pages < 50);
  return { ids, pages };
}

describe('listSessions on a busy device', () => {
  it.each([7, 50, 100])(
    'lists all 135 sessions once, most recent first, in pages of %i',
    async (pageSize) => {
      const { ids, pages } = await listAll(pageSize);

      expect(ids).toEqual(MOST_RECENT_FIRST);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(135 / pageSize));
    },
  );

  it('keeps to a range that ends before the busy day', async () => {
    const { ids } = await listAll(3, { to: DAY - 1 });

    expect(ids).toEqual(MOST_RECENT_FIRST.slice(130));
  });

  it('keeps to a range inside the busy day', async () => {
    // Session k of the day ends at minute k (listed at 130 - k) after 15 s: minutes 10..20 overlap.
    const { ids } = await listAll(4, { from: DAY + 10 * 60_000, to: DAY + 20 * 60_000 });

    expect(ids).toEqual(MOST_RECENT_FIRST.slice(130 - 20, 130 - 10 + 1));
  });

  it('creates the tables again over an existing folder without complaint', async () => {
    await expect(createTables(client)).resolves.toBeUndefined();
  });
});
