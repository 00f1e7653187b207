/**
 * GET /devices/{id}/sessions[/{sessionId}[/batches[/{seq}]]]: a device's analyzer sessions, one
 * session's summary, its batches, and one batch read back from its raw bundle by a ranged GET of
 * exactly its frame. Summaries and index items are read through session-store.ts only.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { type AnalyzerBatch, AnalyzerWireBatchSchema } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import {
  BatchPageSchema,
  BatchViewSchema,
  SessionPageSchema,
  SessionViewSchema,
} from '#protocol/api/session-views.ts';
import { DeviceIdSchema, EpochMsSchema, SessionIdSchema } from '#protocol/ids.ts';
import { decodeTopicPayload } from '#protocol/topics.ts';
import type { functions } from '#wiring/fleet.ts';
import {
  type AnalyzerDeps,
  batchLocation,
  listBatches,
  listSessions,
  MAX_SESSIONS_PER_PAGE,
  readSummary,
} from '../analyzer/session-store.ts';
import { presentSummary, type SessionSummary } from '../analyzer/summary.ts';
import { decodeCursor, encodeCursor, MAX_CURSOR_CHARS } from '../commons/cursor.ts';
import { BadRequestError, NotFoundError } from '../commons/errors.ts';
import { json, parseInput } from '../commons/http.ts';

export interface SessionsDeps {
  readonly analyzer: AnalyzerDeps;
  readonly s3: S3Client;
  readonly bucket: string;
}

/** Sequence numbers as the batch index keys them (10 digits); batches count from 1. */
const MAX_SEQ = 9_999_999_999;
const SeqSchema = z.number().int().min(1).max(MAX_SEQ);

const IsoTime = z.iso.datetime({ offset: true });
const TimeRangeSchema = {
  from: IsoTime.optional().describe('ISO-8601 time: only what has samples at or after it'),
  to: IsoTime.optional().describe('ISO-8601 time: only what has samples at or before it'),
};
const Cursor = z.string().max(MAX_CURSOR_CHARS).optional();

export const SessionsPathSchema = z.object({ id: DeviceIdSchema });
export const SessionPathSchema = z.object({ id: DeviceIdSchema, sessionId: SessionIdSchema });
export const BatchPathSchema = SessionPathSchema.extend({
  seq: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, `must be a batch sequence number, 1..${MAX_SEQ}`)
    .transform(Number),
});

export const ListSessionsQuerySchema = z
  .object({
    ...TimeRangeSchema,
    limit: z.coerce.number().int().min(1).max(MAX_SESSIONS_PER_PAGE).default(20),
    cursor: Cursor,
  })
  .strict();

export const ListBatchesQuerySchema = z
  .object({
    ...TimeRangeSchema,
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: Cursor,
  })
  .strict();

export const BatchQuerySchema = z.object({ format: z.enum(['json', 'raw']).default('json') }).strict();

const SessionsCursorSchema = z.object({ lastSeen: EpochMsSchema, sessionId: SessionIdSchema }).strict();
const BatchesCursorSchema = z.object({ afterSeq: SeqSchema }).strict();

const sessionsScope = (deviceId: string) => `GET /devices/${deviceId}/sessions`;
const batchesScope = (deviceId: string, sessionId: string) =>
  `GET /devices/${deviceId}/sessions/${sessionId}/batches`;

/** The range in epoch ms, refused when it ends before it starts. */
function timeRange(query: { from?: string | undefined; to?: string | undefined }): {
  from?: number;
  to?: number;
} {
  const from = query.from === undefined ? undefined : Date.parse(query.from);
  const to = query.to === undefined ? undefined : Date.parse(query.to);
  if (from !== undefined && to !== undefined && to < from) {
    throw new BadRequestError('invalid query: to is before from');
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** A row of the sessions listing: who, when, how long in each state, and the batch counts. */
export type SessionRowView = ReturnType<typeof sessionRow>;
export type SessionView = { deviceId: string } & ReturnType<typeof presentSummary>;
export interface BatchRowView {
  readonly seq: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly samples: number;
}
export interface BatchView {
  readonly deviceId: string;
  readonly sessionId: string;
  readonly seq: number;
  /** Size of the frame as the device sent it. */
  readonly frameBytes: number;
  readonly batch: AnalyzerBatch;
}
export interface Paged<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

function sessionRow(summary: SessionSummary) {
  const { sessionId, user, firstSeen, lastSeen, ended, stateSec, batches } = presentSummary(summary);
  return { sessionId, user, firstSeen, lastSeen, ended, stateSec, batches };
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export async function listSessionsRoute(
  deps: SessionsDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(SessionsPathSchema, event.pathParameters, 'path');
  const query = parseInput(ListSessionsQuerySchema, event.queryStringParameters, 'query');
  const range = timeRange(query);
  const startAfter = query.cursor
    ? decodeCursor(SessionsCursorSchema, query.cursor, sessionsScope(id))
    : undefined;
  const page = await listSessions(deps.analyzer, id, {
    limit: query.limit,
    ...range,
    ...(startAfter ? { startAfter } : {}),
  });
  return json({
    items: page.summaries.map(sessionRow),
    nextCursor: page.next ? encodeCursor(sessionsScope(id), { ...page.next }) : null,
  } satisfies Paged<SessionRowView>);
}

async function summaryOrNotFound(deps: SessionsDeps, deviceId: string, sessionId: string) {
  const stored = await readSummary(deps.analyzer, deviceId, sessionId);
  if (stored === undefined) {
    throw new NotFoundError(`session ${sessionId} of device ${deviceId} is not known`);
  }
  return stored.summary;
}

export async function getSessionRoute(
  deps: SessionsDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id, sessionId } = parseInput(SessionPathSchema, event.pathParameters, 'path');
  const view: SessionView = { deviceId: id, ...presentSummary(await summaryOrNotFound(deps, id, sessionId)) };
  return json(view);
}

export async function listBatchesRoute(
  deps: SessionsDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id, sessionId } = parseInput(SessionPathSchema, event.pathParameters, 'path');
  const query = parseInput(ListBatchesQuerySchema, event.queryStringParameters, 'query');
  const range = timeRange(query);
  const after = query.cursor
    ? decodeCursor(BatchesCursorSchema, query.cursor, batchesScope(id, sessionId)).afterSeq
    : undefined;
  // An unknown session is a 404, not an empty listing (a typo would otherwise look like no data).
  if (after === undefined) await summaryOrNotFound(deps, id, sessionId);
  const page = await listBatches(
    deps.analyzer,
    { deviceId: id, sessionId },
    { limit: query.limit, ...range, ...(after === undefined ? {} : { afterSeq: after }) },
  );
  return json({
    items: page.batches.map((b) => ({
      seq: b.seq,
      firstSeen: iso(b.firstT),
      lastSeen: iso(b.lastT),
      samples: b.samples,
    })),
    nextCursor:
      page.nextAfterSeq === undefined
        ? null
        : encodeCursor(batchesScope(id, sessionId), { afterSeq: page.nextAfterSeq }),
  } satisfies Paged<BatchRowView>);
}

export async function getBatchRoute(
  deps: SessionsDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id, sessionId, seq } = parseInput(BatchPathSchema, event.pathParameters, 'path');
  const { format } = parseInput(BatchQuerySchema, event.queryStringParameters, 'query');
  const location = await batchLocation(deps.analyzer, { deviceId: id, sessionId, seq });
  if (location === undefined) {
    await summaryOrNotFound(deps, id, sessionId);
    throw new NotFoundError(`batch ${seq} of session ${sessionId} of device ${id} is not known`);
  }
  const frame = await readFrame(deps, location);
  if (format === 'raw') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(frame).toString('base64'),
      isBase64Encoded: true,
    };
  }
  const batch: AnalyzerBatch = decodeAnalyzerBatch(
    AnalyzerWireBatchSchema.parse(decodeTopicPayload('analyzer', frame)),
  );
  return json({ deviceId: id, sessionId, seq, frameBytes: frame.byteLength, batch } satisfies BatchView);
}

/** Exactly the frame's bytes, by a ranged GET of the raw bundle (raw-bundle.ts). */
async function readFrame(
  deps: SessionsDeps,
  location: { objectKey: string; offset: number; length: number },
): Promise<Uint8Array> {
  const out = await deps.s3.send(
    new GetObjectCommand({
      Bucket: deps.bucket,
      Key: location.objectKey,
      Range: `bytes=${location.offset}-${location.offset + location.length - 1}`,
    }),
  );
  const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
  if (bytes.byteLength !== location.length) {
    throw new Error(
      `raw bundle ${location.objectKey}: read ${bytes.byteLength} bytes of a ${location.length}-byte frame`,
    );
  }
  return bytes;
}

export const sessionsRouteDocs: RouteDocs<(typeof functions.sessionsApi.trigger.routes)[number]> = {
  'GET /devices/{id}/sessions': {
    summary: "A device's analyzer sessions, most recent first",
    path: SessionsPathSchema,
    query: ListSessionsQuerySchema,
    responses: { 200: { description: 'One page of sessions', schema: SessionPageSchema } },
  },
  'GET /devices/{id}/sessions/{sessionId}': {
    summary: "One session's summary",
    path: SessionPathSchema,
    responses: {
      200: { description: 'The summary', schema: SessionViewSchema },
      404: { description: 'No such session' },
    },
  },
  'GET /devices/{id}/sessions/{sessionId}/batches': {
    summary: "A session's batches, in sequence order",
    path: SessionPathSchema,
    query: ListBatchesQuerySchema,
    responses: {
      200: { description: 'One page of batches', schema: BatchPageSchema },
      404: { description: 'No such session' },
    },
  },
  'GET /devices/{id}/sessions/{sessionId}/batches/{seq}': {
    summary: 'One batch, read back from its raw bundle',
    description:
      '`format=json` (default): the samples as rows. `format=raw`: the frame exactly as the device sent it (application/octet-stream).',
    path: BatchPathSchema,
    query: BatchQuerySchema,
    responses: {
      200: { description: 'The batch', schema: BatchViewSchema, alsoBinary: true },
      404: { description: 'No such session or batch' },
    },
  },
};
