/** The read-only sessions API: a device's analyzer sessions, their summaries and raw batches. No write. */
import type { Feature } from './feature.ts';

export const sessionsApi = {
  name: 'sessions-api',
  functions: {
    sessionsApi: {
      entry: 'lambdas/sessions-api.ts',
      description: 'Operator API: analyzer sessions, summaries and raw batches (read-only)',
      memoryMb: 512,
      timeoutSec: 15,
      trigger: {
        kind: 'api',
        routes: [
          'GET /devices/{id}/sessions',
          'GET /devices/{id}/sessions/{sessionId}',
          'GET /devices/{id}/sessions/{sessionId}/batches',
          'GET /devices/{id}/sessions/{sessionId}/batches/{seq}',
        ],
      },
      access: { tables: { analyzer: 'read' }, buckets: { archive: 'read' } },
    },
  },
} as const satisfies Feature;
