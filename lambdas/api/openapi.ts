/** GET /openapi.json: the document this API is described by (built once per function instance). */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import type { functions } from '#wiring/fleet.ts';
import { json } from '../commons/http.ts';

export function openApiRoute(document: () => unknown): Promise<APIGatewayProxyStructuredResultV2> {
  return Promise.resolve(json(document()));
}

export const openapiRouteDocs: RouteDocs<(typeof functions.openapiApi.trigger.routes)[number]> = {
  'GET /openapi.json': {
    summary: 'This API, as an OpenAPI 3.1 document',
    description: 'Generated from the same zod schemas the handlers validate with.',
    responses: {
      200: {
        description: 'The OpenAPI document',
        schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
      },
    },
  },
};
