/**
 * Assignments in the `policies` table (layout in store.ts): per target (a device, a group, the
 * default) one `assign#...` item naming its policy — the truth a device's effective policy is read
 * from — and per policy its `to#...` membership items, for listing who it is assigned to.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../commons/errors.ts';
import { MAX_ATTEMPTS, PolicyContentionError, type PolicyStoreDeps, pause, policyPk } from './store.ts';

export type AssignTarget =
  | { readonly kind: 'device'; readonly id: string }
  | { readonly kind: 'group'; readonly id: string }
  | { readonly kind: 'default' };

const ASSIGN_SK = 'assign';
const targetSuffix = (target: AssignTarget): string =>
  target.kind === 'default' ? 'default' : `${target.kind}#${target.id}`;
export const assignmentKey = (target: AssignTarget) => ({
  pk: `assign#${targetSuffix(target)}`,
  sk: ASSIGN_SK,
});
const membershipKey = (policyId: string, target: AssignTarget) => ({
  pk: policyPk(policyId),
  sk: `to#${targetSuffix(target)}`,
});

/** Who a policy is assigned to (its membership items). */
export async function listMembership(deps: PolicyStoreDeps, policyId: string): Promise<AssignTarget[]> {
  const targets: AssignTarget[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.policiesTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :to)',
        ExpressionAttributeValues: { ':pk': policyPk(policyId), ':to': 'to#' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) targets.push(item.target as AssignTarget);
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return targets;
}

/** The policy id each target is assigned, by target key; absent when none. */
export async function getAssignments(
  deps: PolicyStoreDeps,
  targets: readonly AssignTarget[],
  consistent: boolean,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < targets.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = targets.slice(i, i + 100).map(assignmentKey);
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      const out: BatchGetCommandOutput = await deps.ddb.send(
        new BatchGetCommand({
          RequestItems: {
            [deps.policiesTable]: {
              Keys: keys,
              ConsistentRead: consistent,
              ProjectionExpression: 'pk, policyId',
            },
          },
        }),
      );
      for (const item of out.Responses?.[deps.policiesTable] ?? []) {
        found.set(item.pk as string, item.policyId as string);
      }
      keys = out.UnprocessedKeys?.[deps.policiesTable]?.Keys;
      if (keys && keys.length > 0) await pause(attempt);
    }
  }
  return found;
}

/**
 * Assigns `policyId` to one target with single-item writes (no transactions in the emulators): the
 * new policy's membership item, then the assignment item, conditional on the assignment read (a
 * concurrent re-assignment makes it read again), then the removal of the old policy's membership.
 * The assignment item is the truth; readers of membership check it (`liveMembership`), so a crash
 * between the writes leaves no wrong answer, and assigning again tidies up.
 */
export async function assignTarget(
  deps: PolicyStoreDeps,
  policyId: string,
  target: AssignTarget,
  now: number,
): Promise<void> {
  const key = assignmentKey(target);
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.policiesTable,
      Item: { ...membershipKey(policyId, target), target, assignedAt: now },
    }),
  );
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const previous = (await getAssignments(deps, [target], true)).get(key.pk);
    try {
      await deps.ddb.send(
        new PutCommand({
          TableName: deps.policiesTable,
          Item: { ...key, policyId, assignedAt: now },
          ...(previous === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'policyId = :previous',
                ExpressionAttributeValues: { ':previous': previous },
              }),
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      await pause(attempt);
      continue;
    }
    if (previous !== undefined && previous !== policyId) {
      await deps.ddb.send(
        new DeleteCommand({ TableName: deps.policiesTable, Key: membershipKey(previous, target) }),
      );
    }
    return;
  }
  throw new PolicyContentionError(`assignment of ${targetSuffix(target)}: too many concurrent writers`);
}

/** A policy's membership, keeping only the targets whose assignment item names that policy. */
export async function liveMembership(deps: PolicyStoreDeps, policyId: string): Promise<AssignTarget[]> {
  const listed = await listMembership(deps, policyId);
  const assigned = await getAssignments(deps, listed, true);
  return listed.filter((target) => assigned.get(assignmentKey(target).pk) === policyId);
}

/** Every assignment of the fleet: devices and groups by id, and the default's policy. */
export async function allAssignments(
  deps: PolicyStoreDeps,
  policyIds: readonly string[],
): Promise<{
  devices: Map<string, string>;
  groups: Map<string, string>;
  defaultPolicy: string | undefined;
}> {
  const devices = new Map<string, string>();
  const groups = new Map<string, string>();
  let defaultPolicy: string | undefined;
  for (const policyId of policyIds) {
    for (const target of await liveMembership(deps, policyId)) {
      if (target.kind === 'device') devices.set(target.id, policyId);
      else if (target.kind === 'group') groups.set(target.id, policyId);
      else defaultPolicy = policyId;
    }
  }
  return { devices, groups, defaultPolicy };
}
