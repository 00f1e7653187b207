/**
 * PUT /policies/{id}, POST /policies/{id}/assign, GET /policies/{id}, GET /policies. Every input is
 * validated (path, body, that the policy and the devices exist) before the first write, so a refused
 * request changes nothing.
 */
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  AssignPolicySchema,
  PolicyIdSchema,
  PolicyViewSchema,
  PutPolicySchema,
} from '#protocol/api/policies.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import { DecodeError, decodeJson } from '#protocol/encoding.ts';
import { DeviceIdSchema, EpochMsSchema } from '#protocol/ids.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';
import type { functions } from '#wiring/fleet.ts';
import { BadRequestError, NotFoundError } from '../commons/errors.ts';
import { json, parseInput } from '../commons/http.ts';
import { type AssignTarget, assignTarget } from '../policies/assignments.ts';
import type { PolicyDeps } from '../policies/effective.ts';
import { getHead, latestGlobalVersion, putPolicyVersion, restampPolicy } from '../policies/store.ts';
import { listPolicies, policyView } from '../policies/view.ts';

type Route = (typeof functions.policiesApi.trigger.routes)[number];

export const PolicyPathSchema = z.object({ id: PolicyIdSchema });

export const StoredPolicySchema = z.object({
  policyId: PolicyIdSchema,
  version: z.number().int().positive(),
  createdAt: EpochMsSchema,
  document: PolicyDocumentSchema,
});
export type StoredPolicy = z.infer<typeof StoredPolicySchema>;

export const AssignResultSchema = z.object({
  policyId: PolicyIdSchema,
  /** The version the assigned devices get: the policy's latest, re-stamped when another was newer. */
  version: z.number().int().positive(),
  /** Set when the assignment stored the latest document again under a new number (see docs). */
  restampedFrom: z.number().int().positive().optional(),
  assigned: z.object({
    deviceIds: z.array(DeviceIdSchema),
    groups: z.array(z.string()),
    default: z.boolean(),
  }),
});
export type AssignResult = z.infer<typeof AssignResultSchema>;

export const PolicySummarySchema = z.object({
  policyId: PolicyIdSchema,
  latestVersion: z.number().int().positive(),
  updatedAt: EpochMsSchema,
  assignedTo: PolicyViewSchema.shape.assignedTo,
  devicesAssigned: z.number().int().nonnegative(),
  devicesOnLatest: z.number().int().nonnegative(),
});
export const PolicyListSchema = z.object({ items: z.array(PolicySummarySchema) });
export type PolicyList = z.infer<typeof PolicyListSchema>;

/** The JSON body, bounded as device payloads are; anything else is the caller's 400. */
function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') throw new BadRequestError('a JSON body is required');
  try {
    return decodeJson(Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'));
  } catch (err) {
    if (err instanceof DecodeError) throw new BadRequestError(`invalid body: ${err.message}`);
    throw err;
  }
}

async function requireHead(deps: PolicyDeps, policyId: string) {
  const head = await getHead(deps, policyId);
  if (!head)
    throw new NotFoundError(`policy ${policyId} does not exist (store it with PUT /policies/${policyId})`);
  return head;
}

async function assertKnownDevices(deps: PolicyDeps, deviceIds: readonly string[]): Promise<void> {
  const unique = [...new Set(deviceIds)];
  const known = new Set<string>();
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((deviceId) => ({ deviceId }));
    while (keys && keys.length > 0) {
      const out: BatchGetCommandOutput = await deps.ddb.send(
        new BatchGetCommand({
          RequestItems: { [deps.devicesTable]: { Keys: keys, ProjectionExpression: 'deviceId' } },
        }),
      );
      for (const item of out.Responses?.[deps.devicesTable] ?? []) known.add(item.deviceId as string);
      keys = out.UnprocessedKeys?.[deps.devicesTable]?.Keys;
    }
  }
  const unknown = unique.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(', ');
    throw new BadRequestError(
      `unknown device${unknown.length > 1 ? 's' : ''}: ${shown}${unknown.length > 5 ? `, and ${unknown.length - 5} more` : ''}`,
    );
  }
}

export async function putPolicyRoute(
  deps: PolicyDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(PolicyPathSchema, event.pathParameters, 'path');
  const document = parseInput(PutPolicySchema, jsonBody(event), 'body');
  const head = await putPolicyVersion(deps, id, document, Date.now());
  const stored: StoredPolicy = {
    policyId: id,
    version: head.latestVersion,
    createdAt: head.createdAt,
    document: PolicyDocumentSchema.parse({ ...head.document, version: head.latestVersion }),
  };
  return json(stored);
}

/** Concurrent writes per assignment request; each target is a few single-item writes. */
const ASSIGN_CONCURRENCY = 8;

export async function assignPolicyRoute(
  deps: PolicyDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(PolicyPathSchema, event.pathParameters, 'path');
  const body = parseInput(AssignPolicySchema, jsonBody(event), 'body');
  let head = await requireHead(deps, id);
  if (body.deviceIds) await assertKnownDevices(deps, body.deviceIds);

  const now = Date.now();
  // A device moved here from a policy with a higher number would ignore this one: give it the top number.
  let restampedFrom: number | undefined;
  if (head.latestVersion < (await latestGlobalVersion(deps))) {
    restampedFrom = head.latestVersion;
    head = await restampPolicy(deps, head, now);
  }
  const deviceIds = [...new Set(body.deviceIds ?? [])].sort();
  const groups = [...new Set(body.groups ?? [])].sort();
  const targets: AssignTarget[] = [
    ...deviceIds.map((deviceId) => ({ kind: 'device', id: deviceId }) as const),
    ...groups.map((group) => ({ kind: 'group', id: group }) as const),
    ...(body.default ? [{ kind: 'default' } as const] : []),
  ];
  for (let i = 0; i < targets.length; i += ASSIGN_CONCURRENCY) {
    await Promise.all(targets.slice(i, i + ASSIGN_CONCURRENCY).map((t) => assignTarget(deps, id, t, now)));
  }
  const result: AssignResult = {
    policyId: id,
    version: head.latestVersion,
    ...(restampedFrom === undefined ? {} : { restampedFrom }),
    assigned: { deviceIds, groups, default: body.default === true },
  };
  return json(result);
}

export async function getPolicyRoute(
  deps: PolicyDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(PolicyPathSchema, event.pathParameters, 'path');
  const head = await requireHead(deps, id);
  return json(await policyView(deps, head));
}

export async function listPoliciesRoute(deps: PolicyDeps): Promise<APIGatewayProxyStructuredResultV2> {
  const list: PolicyList = { items: await listPolicies(deps) };
  return json(list);
}

const badRequest = { description: 'invalid path or body (the message names the field); nothing changed' };
const notFound = { description: 'no such policy' };

export const policiesRouteDocs: RouteDocs<Route> = {
  'PUT /policies/{id}': {
    summary: 'Store a new version of a policy',
    description:
      'Validates the document (ranges of protocol/policy.ts, no unknown fields) and stores it as the next version, numbered from one counter across all policies.',
    path: PolicyPathSchema,
    body: PutPolicySchema,
    responses: { 200: { description: 'the stored version', schema: StoredPolicySchema }, 400: badRequest },
  },
  'POST /policies/{id}/assign': {
    summary: 'Assign a policy to devices, groups or as the fleet default',
    description:
      "A device's effective policy is its own assignment, else its group's, else the default. When another policy holds a higher version, the latest document is stored again under a new number first, so no device is moved to a lower version.",
    path: PolicyPathSchema,
    body: AssignPolicySchema,
    responses: {
      200: { description: 'what was assigned, and the version devices get', schema: AssignResultSchema },
      400: badRequest,
      404: notFound,
    },
  },
  'GET /policies/{id}': {
    summary: 'A policy: its assignments and, per version, how many assigned devices run it',
    path: PolicyPathSchema,
    responses: {
      200: { description: 'the policy', schema: PolicyViewSchema },
      400: badRequest,
      404: notFound,
    },
  },
  'GET /policies': {
    summary: 'Every policy with its latest version and assignments',
    responses: { 200: { description: 'the policies, by id', schema: PolicyListSchema } },
  },
};
