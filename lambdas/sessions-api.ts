/** A device's analyzer sessions, summaries and raw batches: the read-only sessions API (wiring/sessions-api.ts). */
import type { functions } from '#wiring/fleet.ts';
import { getBatchRoute, getSessionRoute, listBatchesRoute, listSessionsRoute } from './api/sessions.ts';
import { apiHandler } from './commons/api-handler.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { s3 } from './commons/aws/s3.ts';
import { resourceNames } from './commons/env.ts';

type Route = (typeof functions.sessionsApi.trigger.routes)[number];

const sessions = {
  analyzer: { ddb, table: resourceNames.table('analyzer') },
  s3,
  bucket: resourceNames.bucket('archive'),
};

export const handler = apiHandler<Route>({
  'GET /devices/{id}/sessions': (event) => listSessionsRoute(sessions, event),
  'GET /devices/{id}/sessions/{sessionId}': (event) => getSessionRoute(sessions, event),
  'GET /devices/{id}/sessions/{sessionId}/batches': (event) => listBatchesRoute(sessions, event),
  'GET /devices/{id}/sessions/{sessionId}/batches/{seq}': (event) => getBatchRoute(sessions, event),
});
