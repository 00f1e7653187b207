/**
 * The operator API's OpenAPI 3.1 document, generated from the route docs every API feature exports
 * (lambdas/openapi/route-docs.ts), which are built from the zod schemas its handlers parse with.
 * zod-openapi renders the schemas (zod 4's own JSON Schema 2020-12 output, requests as the handler
 * takes them, responses as it produces them); this file adds what no single route knows: the error
 * body and statuses every route shares, security (bearer locally, IAM in AWS) and the servers.
 */
import * as z from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
} from 'zod-openapi';
import { ErrorBodySchema } from '#protocol/api/error-body.ts';
import type { RouteDoc, RouteDocs } from '#protocol/api/route-doc.ts';
import { JsonObjectSchema } from '#protocol/inventory.ts';

export const OPENAPI_VERSION = '3.1.0';
export const API_TITLE = 'fleetpulse operator API';

/** Statuses any route may answer besides its own, and who gives them. */
const SHARED_ERRORS: ReadonlyArray<{
  readonly status: number;
  readonly description: string;
  readonly when: (doc: RouteDoc) => boolean;
}> = [
  {
    status: 400,
    description: 'Invalid input: the message names the field and the rule it breaks',
    when: (doc) => doc.path !== undefined || doc.query !== undefined || doc.body !== undefined,
  },
  { status: 401, description: 'Local cloud: missing or wrong bearer token', when: () => true },
  {
    status: 403,
    description: 'AWS: the request is not signed (SigV4) by an identity allowed to invoke the API',
    when: () => true,
  },
  {
    status: 413,
    description: 'The request body is larger than the API accepts',
    when: (doc) => doc.body !== undefined,
  },
  { status: 429, description: 'Throttled: retry later', when: () => true },
  { status: 500, description: 'Internal error (logged with the request id)', when: () => true },
  { status: 503, description: 'A store timed out: retry', when: () => true },
];

const JSON_MEDIA = 'application/json';

/**
 * zod `custom` schemas carry a predicate, not a shape: each one the API serves says here what JSON
 * Schema stands for it. An unlisted one fails the build, naming where it is.
 */
const CUSTOM_SCHEMAS = new Map<unknown, oas31.SchemaObject>([
  [JsonObjectSchema, { type: 'object', description: 'Any JSON object' }],
]);

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** `GET /devices/{id}/inventory` → `getDevicesByIdInventory`: stable, unique per route. */
export function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter((w) => w !== '');
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function asObject(schema: z.ZodType | undefined, what: string): z.ZodObject | undefined {
  if (schema === undefined) return undefined;
  if (!(schema instanceof z.ZodObject)) throw new Error(`${what}: must be a zod object schema`);
  return schema;
}

function operation(tag: string, method: string, path: string, doc: RouteDoc): ZodOpenApiOperationObject {
  const routeKey = `${method.toUpperCase()} ${path}`;
  const responses: Record<string, oas31.ResponseObject | object> = {};
  for (const shared of SHARED_ERRORS) {
    if (shared.when(doc)) {
      responses[String(shared.status)] = {
        description: shared.description,
        content: { [JSON_MEDIA]: { schema: ErrorBodySchema } },
      };
    }
  }
  for (const [status, response] of Object.entries(doc.responses)) {
    const schema = response.schema ?? (Number(status) >= 400 ? ErrorBodySchema : undefined);
    const content = {
      ...(schema ? { [JSON_MEDIA]: { schema } } : {}),
      ...(response.alsoBinary ? { 'application/octet-stream': { schema: { type: 'string' as const } } } : {}),
    };
    responses[status] = {
      description: response.description,
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  const pathParams = asObject(doc.path, `${routeKey} path`);
  const query = asObject(doc.query, `${routeKey} query`);
  return {
    operationId: operationId(method, path),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [tag],
    ...(pathParams || query
      ? { requestParams: { ...(pathParams ? { path: pathParams } : {}), ...(query ? { query } : {}) } }
      : {}),
    ...(doc.body ? { requestBody: { required: true, content: { [JSON_MEDIA]: { schema: doc.body } } } } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/** `devicesApi` → `devices`: one tag per API function, which is one feature. */
const tagOf = (functionName: string): string => functionName.replace(/Api$/, '');

/**
 * The document for these route docs, keyed by API function name. Throws on a route key that is not
 * `<METHOD> /path`, a greedy path parameter (not expressible in OpenAPI), or a route documented twice.
 */
export function buildOpenApiDocument(
  docsByFunction: Readonly<Record<string, RouteDocs<string>>>,
): oas31.OpenAPIObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const [functionName, docs] of Object.entries(docsByFunction)) {
    for (const [routeKey, doc] of Object.entries(docs) as Array<[string, RouteDoc]>) {
      const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
      const method = match?.[1]?.toLowerCase();
      const path = match?.[2];
      if (method === undefined || path === undefined || !HTTP_METHODS.has(method)) {
        throw new Error(`${functionName}: route '${routeKey}' is not '<METHOD> /path'`);
      }
      if (path.includes('+}'))
        throw new Error(`${functionName}: '${routeKey}': greedy paths cannot be documented`);
      paths[path] ??= {};
      const item = paths[path] as Record<string, unknown>;
      if (item[method] !== undefined) throw new Error(`route '${routeKey}' is documented twice`);
      item[method] = operation(tagOf(functionName), method, path, doc);
    }
  }
  return createDocument(
    {
      openapi: OPENAPI_VERSION,
      info: {
        title: API_TITLE,
        version: '1',
        description:
          'Generated from the zod schemas the handlers parse with (no hand-written copy). Times are epoch milliseconds unless a field says ISO-8601. Errors are `{"message": "..."}`.',
      },
      // Relative to where this document is served: it is served by the API it describes.
      servers: [{ url: '/', description: 'The API serving this document (local cloud or API Gateway)' }],
      security: [{ bearer: [] }, { sigv4: [] }],
      tags: Object.keys(docsByFunction).map((name) => ({ name: tagOf(name) })),
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'Local cloud: `Authorization: Bearer <token>`, the token in `.local-cloud/api-token` (`npm start` prints it).',
          },
          sigv4: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'AWS: IAM authorization. Requests are signed with Signature Version 4 (service `execute-api`) by an identity allowed `execute-api:Invoke` on the API.',
            'x-amazon-apigateway-authtype': 'awsSigv4',
          },
        },
      },
      paths,
    },
    {
      override: (ctx) => {
        if (ctx.zodSchema._zod.def.type !== 'custom') return;
        const schema = CUSTOM_SCHEMAS.get(ctx.zodSchema);
        if (schema === undefined) {
          throw new Error(
            `a z.custom schema has no JSON Schema (add it to CUSTOM_SCHEMAS): ${ctx.path.join('.')}`,
          );
        }
        Object.assign(ctx.jsonSchema, schema);
      },
    },
  );
}
