/** GET /openapi.json: the OpenAPI document of the operator API (wiring/openapi.ts). No store access. */
import type { functions } from '#wiring/fleet.ts';
import { openApiRoute } from './api/openapi.ts';
import { apiHandler } from './commons/api-handler.ts';
import { buildOpenApiDocument } from './openapi/document.ts';
import { apiRouteDocs } from './openapi/route-docs.ts';

type Route = (typeof functions.openapiApi.trigger.routes)[number];

let document: unknown;
// Built on first request, not at import: a cold start that serves no document pays nothing for it.
const built = () => {
  document ??= buildOpenApiDocument(apiRouteDocs);
  return document;
};

export const handler = apiHandler<Route>({
  'GET /openapi.json': () => openApiRoute(built),
});
