/**
 * The analyzer's DynamoDB items, per device (partition key `deviceId`):
 *
 *   sk = batch#<session>#<seq, 10 digits>   where a batch's raw frame is (object, byte range), its
 *                                           time range and sample count. Written once: the first
 *                                           delivery wins, a redelivery finds it and is a duplicate.
 *   sk = session#<session>                  the session summary (summary.ts), brotli-compressed
 *                                           JSON in a binary attribute, with `lastSeen` for
 *                                           listing recent sessions and `version` for
 *                                           compare-and-set.
 *
 * The summary is read, folded and written back conditionally on the version it was read at, so
 * two invocations folding batches of one session never lose each other's counts.
 *
 * Cost: the summary is rewritten for every batch and DynamoDB bills a write per started KB of the
 * whole item, so the item is kept within one KB (SUMMARY_ITEM_MAX_BYTES): compressed, sums rounded
 * to what the samples carry, and when it still does not fit, the apps that are top neither by
 * focus nor by CPU are added up under "(other)". The first read of a fold is eventually
 * consistent (half a read unit): a stale copy fails the version condition and is read again,
 * strongly. Only this file knows the encoding: read summaries with readSummary.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { decodeFramed, encodeFramed } from '#protocol/encoding.ts';
import { contentionPause } from '../commons/contention.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import { itemBytes } from '../commons/item-size.ts';
import { type AppTotals, foldBatch, OTHER_APPS, type SessionSummary } from './summary.ts';

export interface AnalyzerDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
}

export interface BatchLocation {
  /** The raw bundle object and the frame's byte range in it (raw-bundle.ts). */
  readonly objectKey: string;
  readonly offset: number;
  readonly length: number;
  readonly firstT: number;
  readonly lastT: number;
  readonly samples: number;
}

const SEQ_DIGITS = 10;
export const batchSk = (sessionId: string, seq: number): string =>
  `batch#${sessionId}#${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const sessionSk = (sessionId: string): string => `session#${sessionId}`;

/** Records where a batch is; 'duplicate' when it already has a location (a redelivery). */
export async function indexBatch(
  deps: AnalyzerDeps,
  key: { deviceId: string; sessionId: string; seq: number },
  location: BatchLocation,
): Promise<'indexed' | 'duplicate'> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: { deviceId: key.deviceId, sk: batchSk(key.sessionId, key.seq), ...location },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
    return 'indexed';
  } catch (err) {
    if (isConditionalCheckFailed(err)) return 'duplicate';
    throw err;
  }
}

export async function batchLocation(
  deps: AnalyzerDeps,
  key: { deviceId: string; sessionId: string; seq: number },
): Promise<BatchLocation | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { deviceId: key.deviceId, sk: batchSk(key.sessionId, key.seq) },
    }),
  );
  return out.Item as BatchLocation | undefined;
}

interface StoredSummary {
  readonly summary: SessionSummary;
  readonly version: number;
}

/** Apps as [name, focusSec, cpuPctSec] rows: app names are data, never object keys in the item. */
type AppRow = [string, number, number];

/** A summary write is billed per started KB of the whole item. */
export const SUMMARY_ITEM_MAX_BYTES = 1024;

/**
 * Samples carry CPU and memory to 0.1 % and time to 1 s; sums of them keep float noise
 * (391.34999999999985) that costs bytes and means nothing. Rounded far below what is shown.
 */
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function encodeSummary(s: SessionSummary): Uint8Array {
  const apps: AppRow[] = Object.entries(s.apps).map(([name, t]) => [
    name,
    round3(t.focusSec),
    round3(t.cpuPctSec),
  ]);
  return encodeFramed({ ...s, cpuSumPct: round3(s.cpuSumPct), memSumPct: round3(s.memSumPct), apps });
}

function decodeSummary(stored: unknown): SessionSummary {
  // Items written before the summary was compressed hold it as JSON text.
  const parsed = (
    typeof stored === 'string' ? JSON.parse(stored) : decodeFramed(stored as Uint8Array)
  ) as Omit<SessionSummary, 'apps'> & { apps: AppRow[] };
  const apps = Object.create(null) as Record<string, AppTotals>;
  for (const [name, focusSec, cpuPctSec] of parsed.apps) apps[name] = { focusSec, cpuPctSec };
  return { ...parsed, apps };
}

/**
 * The summary with only its `keep` most telling apps, the rest added up under "(other)": an app
 * stays when it ranks high by focus or by CPU, so a busy background app outlives an idle window.
 */
function keepApps(s: SessionSummary, keep: number): SessionSummary {
  const names = Object.keys(s.apps).filter((n) => n !== OTHER_APPS);
  const rankBy = (key: keyof AppTotals) => {
    const sorted = [...names].sort((a, b) => (s.apps[b]?.[key] ?? 0) - (s.apps[a]?.[key] ?? 0));
    return new Map(sorted.map((n, i) => [n, i]));
  };
  const byFocus = rankBy('focusSec');
  const byCpu = rankBy('cpuPctSec');
  const rank = (n: string) => Math.min(byFocus.get(n) ?? 0, byCpu.get(n) ?? 0);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const apps = Object.create(null) as Record<string, AppTotals>;
  const other = { ...(s.apps[OTHER_APPS] ?? { focusSec: 0, cpuPctSec: 0 }) };
  names.forEach((name, i) => {
    const totals = s.apps[name] ?? { focusSec: 0, cpuPctSec: 0 };
    if (i < keep) apps[name] = totals;
    else {
      other.focusSec += totals.focusSec;
      other.cpuPctSec += totals.cpuPctSec;
    }
  });
  if (names.length > keep || s.apps[OTHER_APPS] !== undefined) apps[OTHER_APPS] = other;
  return { ...s, apps };
}

interface SummaryItemFields {
  readonly deviceId: string;
  readonly sessionId: string;
  readonly version: number;
  readonly now: number;
}

const summaryItem = (f: SummaryItemFields, summary: SessionSummary) => ({
  deviceId: f.deviceId,
  sk: sessionSk(f.sessionId),
  sessionId: f.sessionId,
  lastSeen: summary.lastSeen,
  summary: encodeSummary(summary),
  version: f.version,
  updatedAt: f.now,
});

/**
 * The item to write and the summary it holds: within SUMMARY_ITEM_MAX_BYTES when dropping apps
 * can get it there (a very long user or session name alone may not fit; it is then written whole).
 */
function fitSummaryItem(
  f: SummaryItemFields,
  summary: SessionSummary,
): { item: ReturnType<typeof summaryItem>; summary: SessionSummary } {
  let fitted = summary;
  let item = summaryItem(f, fitted);
  for (;;) {
    const excess = itemBytes(item) - SUMMARY_ITEM_MAX_BYTES;
    const apps = Object.keys(fitted.apps).filter((n) => n !== OTHER_APPS).length;
    if (excess <= 0 || apps === 0) return { item, summary: fitted };
    // Compressed bytes per app, roughly: drop as many as the excess asks for, at least one.
    const perApp = Math.max(1, item.summary.byteLength / (apps + 1));
    fitted = keepApps(fitted, Math.max(0, apps - Math.max(1, Math.ceil(excess / perApp))));
    item = summaryItem(f, fitted);
  }
}

export async function readSummary(
  deps: AnalyzerDeps,
  deviceId: string,
  sessionId: string,
  options: { readonly consistent?: boolean } = {},
): Promise<StoredSummary | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { deviceId, sk: sessionSk(sessionId) },
      ConsistentRead: options.consistent ?? true,
    }),
  );
  if (out.Item === undefined) return undefined;
  return { summary: decodeSummary(out.Item.summary), version: Number(out.Item.version) };
}

/** Enough for many invocations folding one session at once; each lost round waits a little, with jitter. */
const MAX_ATTEMPTS = 30;
const SUMMARY_CONTENTION = { baseMs: 5, maxMs: 100, jitter: true } as const;

/** Counts the batch in its session's summary, once; 'duplicate' when the summary already has it. */
export async function foldIntoSummary(
  deps: AnalyzerDeps,
  deviceId: string,
  batch: AnalyzerBatch,
  now: number,
): Promise<'counted' | 'duplicate'> {
  const [outcome] = await foldSessionBatches(deps, deviceId, [batch], now);
  return outcome ?? 'duplicate';
}

/**
 * Counts batches of one session in its summary with one read and one conditional write (retried
 * on top of whatever another invocation wrote first); per batch, 'duplicate' when it was counted
 * already, by an earlier delivery or earlier in `batches`.
 */
export async function foldSessionBatches(
  deps: AnalyzerDeps,
  deviceId: string,
  batches: readonly AnalyzerBatch[],
  now: number,
): Promise<('counted' | 'duplicate')[]> {
  const sessionId = batches[0]?.sessionId;
  if (sessionId === undefined) return [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // Eventually consistent first: a stale copy only costs a failed condition and a strong read.
    const stored = await readSummary(deps, deviceId, sessionId, { consistent: attempt > 0 });
    let summary = stored?.summary;
    const outcomes = batches.map((batch) => {
      const folded = foldBatch(summary, batch);
      if (folded.outcome === 'duplicate') return 'duplicate' as const;
      summary = folded.summary;
      return 'counted' as const;
    });
    if (summary === undefined || summary === stored?.summary) return outcomes;
    const { item } = fitSummaryItem(
      { deviceId, sessionId, version: (stored?.version ?? 0) + 1, now },
      summary,
    );
    try {
      await deps.ddb.send(
        new PutCommand({
          TableName: deps.table,
          Item: item,
          ...(stored === undefined
            ? { ConditionExpression: 'attribute_not_exists(sk)' }
            : {
                ConditionExpression: 'version = :read',
                ExpressionAttributeValues: { ':read': stored.version },
              }),
        }),
      );
      return outcomes;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      // Another invocation folded a batch of this session first: read again and fold on top.
      await contentionPause(attempt, SUMMARY_CONTENTION);
    }
  }
  throw new Error(`summary of session ${sessionId} of ${deviceId} kept moving; retry`);
}
