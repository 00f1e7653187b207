/**
 * The OpenAPI document: every route of the wiring is documented (exactly its routes, with its path
 * parameters), the document passes a real OpenAPI 3.1 validator (one that does reject a broken
 * document), and the builder refuses what it cannot describe instead of emitting a wrong document.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { buildOpenApiDocument, operationId } from '#lambdas/openapi/document.ts';
import { apiRouteDocs } from '#lambdas/openapi/route-docs.ts';
import {
  CommandDetailSchema,
  CommandIdSchema,
  CommandViewSchema,
  CreateCommandSchema,
  DeviceCommandRowSchema,
} from '#protocol/api/commands.ts';
import { PatchDeviceLabelsSchema } from '#protocol/api/labels.ts';
import {
  AssignPolicySchema,
  PolicyIdSchema,
  PolicyViewSchema,
  PutPolicySchema,
} from '#protocol/api/policies.ts';
import type { RouteDoc } from '#protocol/api/route-doc.ts';
import { functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';

const docsByFunction: Readonly<Record<string, Readonly<Record<string, RouteDoc>>>> = apiRouteDocs;

const apiFunctions = (Object.entries(functions) as Array<[string, FunctionSpec]>).flatMap(([name, spec]) =>
  spec.trigger.kind === 'api' ? [{ name, routes: [...spec.trigger.routes] }] : [],
);

async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  return new Validator().validate(structuredClone(document) as Record<string, unknown>);
}

describe('route docs', () => {
  it('document every function with an api trigger, with exactly its routes', () => {
    expect(apiFunctions.length).toBeGreaterThan(0);

    for (const { name, routes } of apiFunctions) {
      expect(Object.keys(docsByFunction[name] ?? {}).sort(), name).toEqual(routes.sort());
    }
    expect(Object.keys(docsByFunction).sort()).toEqual(apiFunctions.map((f) => f.name).sort());
  });

  it("give every route's path parameters a path schema with exactly those names", () => {
    for (const docs of Object.values(docsByFunction)) {
      for (const [routeKey, doc] of Object.entries(docs)) {
        const inPath = [...routeKey.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        const documented = doc.path instanceof z.ZodObject ? Object.keys(doc.path.shape).sort() : [];

        expect(documented, routeKey).toEqual(inPath);
      }
    }
  });

  it('give every route a 2xx answer', () => {
    for (const docs of Object.values(docsByFunction)) {
      for (const [routeKey, doc] of Object.entries(docs)) {
        expect(
          Object.keys(doc.responses).some((s) => s.startsWith('2')),
          routeKey,
        ).toBe(true);
      }
    }
  });
});

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument(apiRouteDocs);

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(document);

    expect(document.openapi).toBe('3.1.0');
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('is refused by the same validator once broken (the check can fail)', async () => {
    const broken = structuredClone(document) as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
    };
    const response = broken.paths['/devices']?.get?.responses['200'];
    if (response) delete response.description;

    const result = await validate(broken);

    expect(result.valid).toBe(false);
  });

  it('has one path per route, a unique operation id each, and the shared error body and security', () => {
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { operationId?: string; responses?: object }>).map(
        ([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op }),
      ),
    );

    expect(operations.map((o) => o.key).sort()).toEqual(apiFunctions.flatMap((f) => f.routes).sort());
    expect(new Set(operations.map((o) => o.op.operationId)).size).toBe(operations.length);
    expect(document.components?.schemas?.Error).toMatchObject({
      type: 'object',
      required: ['message'],
    });
    expect(Object.keys(document.components?.securitySchemes ?? {}).sort()).toEqual(['bearer', 'sigv4']);
    for (const { key, op } of operations) {
      expect(Object.keys(op.responses ?? {}), key).toEqual(expect.arrayContaining(['401', '403', '500']));
    }
  });

  it('describes a request body and its statuses, and a path item once per path', () => {
    const body = z.object({ name: z.string().min(1) }).strict();
    const doc = buildOpenApiDocument({
      widgetsApi: {
        'POST /widgets/{id}': {
          summary: 'make one',
          path: z.object({ id: z.string() }),
          body,
          responses: {
            202: { description: 'accepted', schema: z.object({ id: z.string() }) },
            409: { description: 'taken' },
          },
        },
        'GET /widgets/{id}': {
          summary: 'show one',
          path: z.object({ id: z.string() }),
          responses: { 200: { description: 'ok' } },
        },
      },
    });
    const post = doc.paths?.['/widgets/{id}']?.post;

    expect(Object.keys(doc.paths ?? {})).toEqual(['/widgets/{id}']);
    expect(post?.requestBody).toMatchObject({
      required: true,
      content: {
        'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: false } },
      },
    });
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['202', '400', '409', '413']));
    expect(post?.responses?.['409']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    expect(doc.paths?.['/widgets/{id}']?.get?.responses?.['413']).toBeUndefined();
  });

  it('refuses a route it cannot describe, and a zod custom schema with no JSON Schema', () => {
    const ok = { summary: 's', responses: { 200: { description: 'ok' } } };

    expect(() => buildOpenApiDocument({ a: { 'GET /files/{path+}': ok } })).toThrow(/greedy/);
    expect(() => buildOpenApiDocument({ a: { 'FETCH /x': ok } })).toThrow(/not '<METHOD> \/path'/);
    expect(() => buildOpenApiDocument({ a: { 'GET /x': ok }, b: { 'GET /x': ok } })).toThrow(/twice/);
    expect(() =>
      buildOpenApiDocument({
        a: {
          'GET /x': {
            summary: 's',
            responses: { 200: { description: 'ok', schema: z.object({ v: z.custom<string>(() => true) }) } },
          },
        },
      }),
    ).toThrow(/CUSTOM_SCHEMAS/);
  });

  it('names operations after their method and path', () => {
    expect(operationId('get', '/devices/{id}/inventory/changes')).toBe('getDevicesByIdInventoryChanges');
    expect(operationId('post', '/commands/{id}/cancel')).toBe('postCommandsByIdCancel');
    expect(operationId('get', '/openapi.json')).toBe('getOpenapiJson');
  });

  it('renders the protocol/api contracts of the commands, labels and policies routes into a valid document', async () => {
    const id = z.object({ id: CommandIdSchema });
    const policy = z.object({ id: PolicyIdSchema });
    const doc = buildOpenApiDocument({
      commandsApi: {
        'POST /commands': {
          summary: 'create',
          body: CreateCommandSchema,
          responses: { 202: { description: 'accepted', schema: CommandViewSchema } },
        },
        'GET /commands/{id}': {
          summary: 'show',
          path: id,
          responses: { 200: { description: 'ok', schema: CommandDetailSchema } },
        },
        'GET /devices/{id}/commands': {
          summary: 'of a device',
          path: z.object({ id: z.string() }),
          responses: {
            200: { description: 'ok', schema: z.object({ items: z.array(DeviceCommandRowSchema) }) },
          },
        },
      },
      labelsApi: {
        'PATCH /devices/{id}': {
          summary: 'label',
          path: z.object({ id: z.string() }),
          body: PatchDeviceLabelsSchema,
          responses: { 200: { description: 'ok' } },
        },
      },
      policiesApi: {
        'PUT /policies/{id}': {
          summary: 'put',
          path: policy,
          body: PutPolicySchema,
          responses: { 200: { description: 'ok', schema: PolicyViewSchema } },
        },
        'POST /policies/{id}/assign': {
          summary: 'assign',
          path: policy,
          body: AssignPolicySchema,
          responses: { 200: { description: 'ok', schema: PolicyViewSchema } },
        },
      },
    });

    expect(await validate(doc)).toEqual({ valid: true });
    expect(JSON.stringify(doc.paths?.['/commands']?.post?.requestBody)).toContain('"secureOn"');
  });
});
