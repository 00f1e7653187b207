/**
 * The `policies` table (wiring/policies.ts). One table, keyed `pk`/`sk`:
 * - `counter`/`counter`: the last version number handed out, one counter for every policy;
 * - `policies`/`<policyId>`: a policy's head: its latest version and document (listing is one Query);
 * - `policy#<policyId>`/`v#<version>`: every version, as stored (history; never rewritten);
 * - `policy#<policyId>`/`to#device#<id>` | `to#group#<g>` | `to#default`: who it is assigned to;
 * - `assign#device#<id>` | `assign#group#<g>` | `assign#default`/`assign`: the policy each target has,
 *   so a device's effective policy is one BatchGet of at most three keys.
 * This file: the counter, heads and versions; assignments.ts: the assignment and membership items.
 * Version items are put only if absent and the head moves only forward (conditional writes), so a
 * retried or concurrent write never lowers a version.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { PutPolicy } from '#protocol/api/policies.ts';
import { contentionPause } from '../commons/contention.ts';
import { isConditionalCheckFailed } from '../commons/errors.ts';

export interface PolicyStoreDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly policiesTable: string;
}

/** A policy's latest version; `document` is the body of that version's PUT (no version number). */
export interface PolicyHead {
  readonly policyId: string;
  readonly latestVersion: number;
  readonly document: PutPolicy;
  /** When the latest version was stored. */
  readonly createdAt: number;
}

export interface PolicyVersionItem {
  readonly policyId: string;
  readonly version: number;
  readonly document: PutPolicy;
  readonly createdAt: number;
  /** Set when the version re-stamps an earlier one's document (see `restampPolicy`). */
  readonly restampOf?: number;
}

const HEADS_PK = 'policies';
const COUNTER_KEY = { pk: 'counter', sk: 'counter' } as const;
/** Zero-padded so versions sort as numbers. */
const versionSk = (version: number): string => `v#${String(version).padStart(15, '0')}`;
export const policyPk = (policyId: string): string => `policy#${policyId}`;
/** Lost a conditional write to a concurrent writer too many times in a row. */
export class PolicyContentionError extends Error {
  override name = 'PolicyContentionError';
}

export const MAX_ATTEMPTS = 5;
export const pause = (attempt: number) => contentionPause(attempt, { baseMs: 10, maxMs: 200, jitter: true });

export async function getHead(
  deps: PolicyStoreDeps,
  policyId: string,
  consistent = true,
): Promise<PolicyHead | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.policiesTable,
      Key: { pk: HEADS_PK, sk: policyId },
      ConsistentRead: consistent,
    }),
  );
  return out.Item as PolicyHead | undefined;
}

/** Every policy's head, in id order. */
export async function listHeads(deps: PolicyStoreDeps): Promise<PolicyHead[]> {
  const heads: PolicyHead[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.policiesTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': HEADS_PK },
        ExclusiveStartKey: start,
      }),
    );
    heads.push(...((out.Items ?? []) as PolicyHead[]));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return heads;
}

/** The last version number handed out to any policy (0 before the first PUT). */
export async function latestGlobalVersion(deps: PolicyStoreDeps): Promise<number> {
  const out = await deps.ddb.send(
    new GetCommand({ TableName: deps.policiesTable, Key: COUNTER_KEY, ConsistentRead: true }),
  );
  return (out.Item?.latest as number | undefined) ?? 0;
}

async function nextVersion(deps: PolicyStoreDeps): Promise<number> {
  const out = await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.policiesTable,
      Key: COUNTER_KEY,
      UpdateExpression: 'ADD latest :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return out.Attributes?.latest as number;
}

/**
 * Stores `document` as the policy's next version, numbered from the global counter: the version item
 * first (its number is fresh, so the put cannot collide), then the head, which only moves forward.
 * `expectedLatest` (a re-stamp) makes the head write conditional on the head being unchanged. When the
 * head write loses to a concurrent writer the version item is removed again (best effort: an orphan
 * is harmless history) and a number is skipped (gaps are harmless: only the order matters).
 * Returns undefined when the head moved past what this write expected.
 * DynamoDB Local emulators have no transactions, so this is two ordered single-item writes.
 */
async function storeVersion(
  deps: PolicyStoreDeps,
  input: {
    policyId: string;
    document: PutPolicy;
    now: number;
    expectedLatest?: number;
    restampOf?: number;
  },
): Promise<PolicyHead | undefined> {
  const version = await nextVersion(deps);
  const head: PolicyHead = {
    policyId: input.policyId,
    latestVersion: version,
    document: input.document,
    createdAt: input.now,
  };
  const item: PolicyVersionItem = {
    policyId: input.policyId,
    version,
    document: input.document,
    createdAt: input.now,
    ...(input.restampOf === undefined ? {} : { restampOf: input.restampOf }),
  };
  const versionKey = { pk: policyPk(input.policyId), sk: versionSk(version) };
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.policiesTable,
      Item: { ...versionKey, ...item },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.policiesTable,
        Item: { pk: HEADS_PK, sk: input.policyId, ...head },
        ...(input.expectedLatest === undefined
          ? {
              ConditionExpression: 'attribute_not_exists(latestVersion) OR latestVersion < :v',
              ExpressionAttributeValues: { ':v': version },
            }
          : {
              ConditionExpression: 'latestVersion = :expected',
              ExpressionAttributeValues: { ':expected': input.expectedLatest },
            }),
      }),
    );
    return head;
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    await deps.ddb
      .send(new DeleteCommand({ TableName: deps.policiesTable, Key: versionKey }))
      .catch(() => undefined);
    return undefined;
  }
}

/**
 * Stores a new version of a policy. Two PUTs of one policy at once: the one numbered later is the
 * latest (the other stays as history); this returns the head as it stands.
 */
export async function putPolicyVersion(
  deps: PolicyStoreDeps,
  policyId: string,
  document: PutPolicy,
  now: number,
): Promise<PolicyHead> {
  const stored = await storeVersion(deps, { policyId, document, now });
  if (stored) return stored;
  const fresh = await getHead(deps, policyId);
  if (!fresh) throw new Error(`policy ${policyId} has no head after a newer write`);
  return fresh;
}

/**
 * Stores the head's document again under a new (globally latest) number, so that devices running a
 * higher number from another policy take it (an agent ignores any version older than its own).
 * Conditional on the head being the one read: when another writer moved it, the fresh head is
 * returned instead (it is newer, which is all a re-stamp is for).
 */
export async function restampPolicy(
  deps: PolicyStoreDeps,
  head: PolicyHead,
  now: number,
): Promise<PolicyHead> {
  const stored = await storeVersion(deps, {
    policyId: head.policyId,
    document: head.document,
    now,
    expectedLatest: head.latestVersion,
    restampOf: head.latestVersion,
  });
  if (stored) return stored;
  const fresh = await getHead(deps, head.policyId);
  if (!fresh) throw new Error(`policy ${head.policyId} disappeared during a re-stamp`);
  return fresh;
}

/** The latest `limit` versions of a policy, newest first. */
export async function listVersions(
  deps: PolicyStoreDeps,
  policyId: string,
  limit: number,
): Promise<PolicyVersionItem[]> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.policiesTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': policyPk(policyId), ':v': 'v#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []) as PolicyVersionItem[];
}
