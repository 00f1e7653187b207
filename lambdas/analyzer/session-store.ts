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
 * Index `sessionsByLastSeenDay` (deviceId, lastSeenDay; keys only) lists a device's sessions most
 * recent first; batch items have no `lastSeenDay` and stay out of it.
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
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { decodeFramed, encodeFramed } from '#protocol/encoding.ts';
import { SESSIONS_BY_LAST_SEEN_DAY } from '#wiring/analyzer.ts';
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
  // The sessions index key: changes once a day, so the index costs no write per batch.
  lastSeenDay: sessionDayOf(summary.lastSeen),
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

// Reads for the sessions API. The items' attributes are read here only: the rest of the code sees
// summaries and batch rows, whatever the encoding inside the item.

/** Where a listing of sessions stopped: the last session returned (or skipped). */
export interface SessionsPosition {
  readonly lastSeen: number;
  readonly sessionId: string;
}

/** A batch as the index knows it, without reading its frame. */
export interface BatchRow {
  readonly seq: number;
  /** Epoch ms of the first and last sample. */
  readonly firstT: number;
  readonly lastT: number;
  readonly samples: number;
}

/** Index pages read per listing: a time filter that skips many sessions returns a short page and a cursor. */
const MAX_LIST_ROUNDS = 8;
const INDEX_PAGE = 100;
export const MAX_SESSIONS_PER_PAGE = 100;
/** BatchGetItem's limit of keys per request. */
const KEYS_PER_BATCH_GET = 100;
const UNPROCESSED_RETRY = { baseMs: 10, maxMs: 200, jitter: true } as const;
const MAX_UNPROCESSED_ATTEMPTS = 8;

/** Listing order: last sample, most recent first; then session id. */
const listedBefore = (a: SessionsPosition, b: SessionsPosition): boolean =>
  a.lastSeen > b.lastSeen || (a.lastSeen === b.lastSeen && a.sessionId < b.sessionId);
const positionOf = (s: SessionSummary): SessionsPosition => ({
  lastSeen: s.lastSeen,
  sessionId: s.sessionId,
});

/**
 * A device's sessions whose samples overlap [from, to] (epoch ms, both optional), most recent last
 * sample first, at most `limit`; `next` when more may follow.
 *
 * The index orders sessions by the day of their last sample only, so that a summary write moves
 * its index entry once a day instead of once a batch; the order within a day comes from the
 * summaries, so a day is read whole before any of it is listed. A cursor is the last session
 * listed: the next page reads from its day again and skips what came before it.
 */
export async function listSessions(
  deps: AnalyzerDeps,
  deviceId: string,
  options: { limit: number; from?: number; to?: number; startAfter?: SessionsPosition },
): Promise<{ summaries: SessionSummary[]; next?: SessionsPosition }> {
  const limit = Math.min(Math.max(1, options.limit), MAX_SESSIONS_PER_PAGE);
  const { from, to, startAfter } = options;
  const lowDay = from === undefined ? undefined : sessionDayOf(from);
  const highDay = startAfter === undefined ? undefined : sessionDayOf(startAfter.lastSeen);
  if (lowDay !== undefined && highDay !== undefined && lowDay > highDay) return { summaries: [] };
  const keep = (s: SessionSummary): boolean =>
    (from === undefined || s.lastSeen >= from) &&
    (to === undefined || s.firstSeen <= to) &&
    (startAfter === undefined || listedBefore(startAfter, positionOf(s)));

  const listed: SessionSummary[] = [];
  let lastRead: SessionsPosition | undefined;
  let day: number | undefined;
  let daySks: string[] = [];
  const listDay = async () => {
    const bySk = await getSummaries(deps, deviceId, daySks);
    const sorted = [...bySk.values()].sort((a, b) => (listedBefore(positionOf(a), positionOf(b)) ? -1 : 1));
    const last = sorted[sorted.length - 1];
    if (last !== undefined) lastRead = positionOf(last);
    listed.push(...sorted.filter(keep));
    daySks = [];
  };

  let start: Record<string, unknown> | undefined;
  let complete = false;
  read: for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: SESSIONS_BY_LAST_SEEN_DAY,
        KeyConditionExpression: `deviceId = :d${dayCondition(lowDay, highDay)}`,
        ExpressionAttributeValues: {
          ':d': deviceId,
          ...(lowDay === undefined ? {} : { ':low': lowDay }),
          ...(highDay === undefined ? {} : { ':high': highDay }),
        },
        ScanIndexForward: false,
        Limit: INDEX_PAGE,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
      const itemDay = Number(item.lastSeenDay);
      if (day !== undefined && itemDay !== day) {
        await listDay();
        if (listed.length >= limit) break read;
      }
      day = itemDay;
      daySks.push(String(item.sk));
    }
    start = page.LastEvaluatedKey;
    if (start === undefined) {
      complete = true;
      break;
    }
  }
  // Out of rounds inside a day: what was read of it is listed, and the cursor moves past it.
  if (daySks.length > 0 && listed.length < limit) await listDay();
  if (listed.length > limit) {
    return { summaries: listed.slice(0, limit), next: positionOf(listed[limit - 1] as SessionSummary) };
  }
  if (complete) return { summaries: listed };
  const lastListed = listed[listed.length - 1];
  const next = listed.length === limit && lastListed ? positionOf(lastListed) : lastRead;
  return next === undefined ? { summaries: listed } : { summaries: listed, next };
}

const DAY_MS = 86_400_000;
/** The index's sort key: the UTC day of a session's last sample. */
const sessionDayOf = (epochMs: number): number => Math.floor(epochMs / DAY_MS);

function dayCondition(low: number | undefined, high: number | undefined): string {
  if (low !== undefined && high !== undefined) return ' AND lastSeenDay BETWEEN :low AND :high';
  if (low !== undefined) return ' AND lastSeenDay >= :low';
  if (high !== undefined) return ' AND lastSeenDay <= :high';
  return '';
}

/** The summaries named by their sort keys, read by key (the index holds keys only). */
async function getSummaries(
  deps: AnalyzerDeps,
  deviceId: string,
  sks: readonly string[],
): Promise<Map<string, SessionSummary>> {
  const found = new Map<string, SessionSummary>();
  for (let i = 0; i < sks.length; i += KEYS_PER_BATCH_GET) {
    let keys = sks.slice(i, i + KEYS_PER_BATCH_GET).map((sk) => ({ deviceId, sk }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt >= MAX_UNPROCESSED_ATTEMPTS)
        throw new Error('session summaries kept being throttled; retry');
      if (attempt > 0) await contentionPause(attempt, UNPROCESSED_RETRY);
      const out = await deps.ddb.send(
        new BatchGetCommand({
          RequestItems: { [deps.table]: { Keys: keys, ProjectionExpression: 'sk, summary' } },
        }),
      );
      for (const item of out.Responses?.[deps.table] ?? []) {
        found.set(String(item.sk), decodeSummary(item.summary));
      }
      keys = (out.UnprocessedKeys?.[deps.table]?.Keys ?? []) as typeof keys;
    }
  }
  return found;
}

/**
 * A session's batches whose samples overlap [from, to] (epoch ms, both optional), by sequence,
 * after `afterSeq`, at most `limit`; `nextAfterSeq` when more may follow.
 */
export async function listBatches(
  deps: AnalyzerDeps,
  key: { deviceId: string; sessionId: string },
  options: { limit: number; from?: number; to?: number; afterSeq?: number },
): Promise<{ batches: BatchRow[]; nextAfterSeq?: number }> {
  const prefix = `batch#${key.sessionId}#`;
  const filters = [
    ...(options.from === undefined ? [] : ['lastT >= :from']),
    ...(options.to === undefined ? [] : ['firstT <= :to']),
  ];
  const batches: BatchRow[] = [];
  let start: Record<string, unknown> | undefined =
    options.afterSeq === undefined
      ? undefined
      : { deviceId: key.deviceId, sk: batchSk(key.sessionId, options.afterSeq) };
  for (let round = 0; round < MAX_LIST_ROUNDS && batches.length < options.limit; round++) {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        KeyConditionExpression: 'deviceId = :d AND begins_with(sk, :prefix)',
        ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
        ProjectionExpression: 'sk, firstT, lastT, #samples',
        ExpressionAttributeNames: { '#samples': 'samples' },
        ExpressionAttributeValues: {
          ':d': key.deviceId,
          ':prefix': prefix,
          ...(options.from === undefined ? {} : { ':from': options.from }),
          ...(options.to === undefined ? {} : { ':to': options.to }),
        },
        Limit: options.limit - batches.length,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
      batches.push({
        seq: Number(String(item.sk).slice(prefix.length)),
        firstT: Number(item.firstT),
        lastT: Number(item.lastT),
        samples: Number(item.samples),
      });
    }
    start = page.LastEvaluatedKey;
    if (start === undefined) break;
  }
  if (start === undefined) return { batches };
  return { batches, nextAfterSeq: Number(String(start.sk).slice(prefix.length)) };
}

/** Every session summary in the table: a whole-table scan, for benches and tools, never a request path. */
export async function* scanSessionSummaries(deps: AnalyzerDeps): AsyncGenerator<SessionSummary> {
  const pages = paginateScan(
    { client: deps.ddb },
    {
      TableName: deps.table,
      FilterExpression: 'begins_with(sk, :session)',
      ExpressionAttributeValues: { ':session': 'session#' },
      ProjectionExpression: 'summary',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) yield decodeSummary(item.summary);
}
