/**
 * The API's own description: `GET /openapi.json`, generated from the route docs of every API feature.
 * No table, bucket or queue: it reads nothing but its own code.
 */
import type { Feature } from './feature.ts';

export const openapiApi = {
  name: 'openapi-api',
  functions: {
    openapiApi: {
      entry: 'lambdas/openapi-api.ts',
      description: 'Operator API: the OpenAPI 3.1 document of the API',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: { kind: 'api', routes: ['GET /openapi.json'] },
      access: {},
    },
  },
} as const satisfies Feature;
