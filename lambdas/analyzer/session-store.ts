/**
 * The analyzer's DynamoDB items, per device (partition key `deviceId`):
 *
 *   sk = batch#<session>#<seq, 10 digits>   where a batch's raw frame is (object, byte range), its
 *                                           time range and sample count. Written once: the first
 *                                           delivery wins, a redelivery finds it and is a duplicate.
 *   sk = session#<session>                  the session summary (summary.ts) as JSON, with
 *                                           `lastSeen` for listing recent sessions and `version`
 *                                           for compare-and-set.
 *
 * The summary is read, folded and written back conditionally on the version it was read at, so
 * two invocations folding batches of one session never lose each other's counts.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { contentionPause } from '../commons/contention.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import { type AppTotals, foldBatch, type SessionSummary } from './summary.ts';

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

function encodeSummary(s: SessionSummary): string {
  const apps: AppRow[] = Object.entries(s.apps).map(([name, t]) => [name, t.focusSec, t.cpuPctSec]);
  return JSON.stringify({ ...s, apps });
}

function decodeSummary(text: string): SessionSummary {
  const parsed = JSON.parse(text) as Omit<SessionSummary, 'apps'> & { apps: AppRow[] };
  const apps = Object.create(null) as Record<string, AppTotals>;
  for (const [name, focusSec, cpuPctSec] of parsed.apps) apps[name] = { focusSec, cpuPctSec };
  return { ...parsed, apps };
}

export async function readSummary(
  deps: AnalyzerDeps,
  deviceId: string,
  sessionId: string,
): Promise<StoredSummary | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.table,
      Key: { deviceId, sk: sessionSk(sessionId) },
      ConsistentRead: true,
    }),
  );
  if (out.Item === undefined) return undefined;
  return { summary: decodeSummary(String(out.Item.summary)), version: Number(out.Item.version) };
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
    const stored = await readSummary(deps, deviceId, sessionId);
    let summary = stored?.summary;
    const outcomes = batches.map((batch) => {
      const folded = foldBatch(summary, batch);
      if (folded.outcome === 'duplicate') return 'duplicate' as const;
      summary = folded.summary;
      return 'counted' as const;
    });
    if (summary === undefined || summary === stored?.summary) return outcomes;
    try {
      await deps.ddb.send(
        new PutCommand({
          TableName: deps.table,
          Item: {
            deviceId,
            sk: sessionSk(sessionId),
            sessionId,
            lastSeen: summary.lastSeen,
            summary: encodeSummary(summary),
            version: (stored?.version ?? 0) + 1,
            updatedAt: now,
          },
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
