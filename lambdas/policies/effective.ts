/**
 * A device's effective policy — its own assignment, else its group's (`labels.group` on the device
 * record), else the fleet default, else none (the agent keeps its built-in defaults, version 0) — and
 * the reconciliation of what a device runs with it.
 *
 * `effectivePolicy(deps, deviceId)` is the read the `policy-refresh` command type calls: one GetItem
 * of the device record (its group), one BatchGet of at most three assignment keys, and one GetItem of
 * the policy's head (or the head cache). `reconcileDevicePolicy` adds the one write the protocol needs:
 * a device running a higher number than its effective policy's latest (it was moved there from another
 * policy, by an assignment or a change of group) would ignore that policy for ever, so the policy is
 * re-stamped under a new, globally latest number first.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceLabels } from '#protocol/api/labels.ts';
import { type PolicyDocument, PolicyDocumentSchema } from '#protocol/policy.ts';
import { type AssignTarget, assignmentKey, getAssignments } from './assignments.ts';
import { getHead, type PolicyHead, type PolicyStoreDeps, restampPolicy } from './store.ts';

export interface PolicyDeps extends PolicyStoreDeps {
  readonly devicesTable: string;
  /** Heads read through this cache (the heartbeat reaction). @default - read every time, consistently */
  readonly headCache?: HeadCache;
}

export interface EffectivePolicy {
  readonly policyId: string;
  readonly version: number;
  /** The document as the device gets it (`policy` command), its version included. */
  readonly document: PolicyDocument;
  /** Which assignment made it effective. */
  readonly via: AssignTarget['kind'];
}

/**
 * Policy heads kept for `ttlMs`, per execution environment. A new version is seen at most `ttlMs`
 * late; a device that already runs a newer number than a cached head bypasses it (see reconcile).
 */
export class HeadCache {
  private readonly entries = new Map<string, { head: PolicyHead | undefined; readAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(deps: PolicyStoreDeps, policyId: string): Promise<PolicyHead | undefined> {
    const now = this.clock();
    const cached = this.entries.get(policyId);
    if (cached && now - cached.readAt < this.ttlMs) return cached.head;
    const head = await getHead(deps, policyId, false);
    if (this.ttlMs > 0) this.entries.set(policyId, { head, readAt: now });
    return head;
  }

  forget(policyId: string): void {
    this.entries.delete(policyId);
  }
}

export function toEffective(head: PolicyHead, via: AssignTarget['kind']): EffectivePolicy {
  return {
    policyId: head.policyId,
    version: head.latestVersion,
    document: PolicyDocumentSchema.parse({ ...head.document, version: head.latestVersion }),
    via,
  };
}

async function deviceGroup(deps: PolicyDeps, deviceId: string): Promise<string | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({
      TableName: deps.devicesTable,
      Key: { deviceId },
      ProjectionExpression: '#labels',
      ExpressionAttributeNames: { '#labels': 'labels' },
    }),
  );
  return (out.Item?.labels as DeviceLabels | undefined)?.group;
}

/** The device's effective policy, or undefined when nothing applies to it. */
export async function effectivePolicy(
  deps: PolicyDeps,
  deviceId: string,
): Promise<EffectivePolicy | undefined> {
  const group = await deviceGroup(deps, deviceId);
  const candidates: AssignTarget[] = [
    { kind: 'device', id: deviceId },
    ...(group === undefined ? [] : [{ kind: 'group', id: group } as const]),
    { kind: 'default' },
  ];
  const assigned = await getAssignments(deps, candidates, deps.headCache === undefined);
  for (const candidate of candidates) {
    const policyId = assigned.get(assignmentKey(candidate).pk);
    if (policyId === undefined) continue;
    const head = deps.headCache ? await deps.headCache.get(deps, policyId) : await getHead(deps, policyId);
    if (head) return toEffective(head, candidate.kind);
  }
  return undefined;
}

export type Reconciled =
  /** Nothing is assigned to the device: it keeps what it runs. */
  | { readonly status: 'none' }
  | { readonly status: 'current'; readonly effective: EffectivePolicy }
  /** The device should take `effective` (newer than what it runs); `restampedFrom` when re-stamped. */
  | { readonly status: 'newer'; readonly effective: EffectivePolicy; readonly restampedFrom?: number };

/** Compares what a device runs with its effective policy, re-stamping the policy when the device is past it. */
export async function reconcileDevicePolicy(
  deps: PolicyDeps,
  input: { deviceId: string; runningVersion: number; now: number },
): Promise<Reconciled> {
  const effective = await effectivePolicy(deps, input.deviceId);
  if (effective === undefined) return { status: 'none' };
  if (effective.version > input.runningVersion) return { status: 'newer', effective };
  if (effective.version === input.runningVersion) return { status: 'current', effective };
  // Past its policy's latest: either a head newer than the cached one, or another policy's number.
  deps.headCache?.forget(effective.policyId);
  const fresh = await getHead(deps, effective.policyId);
  if (!fresh) return { status: 'none' };
  if (fresh.latestVersion > input.runningVersion) {
    return { status: 'newer', effective: toEffective(fresh, effective.via) };
  }
  if (fresh.latestVersion === input.runningVersion) {
    return { status: 'current', effective: toEffective(fresh, effective.via) };
  }
  const restamped = await restampPolicy(deps, fresh, input.now);
  deps.headCache?.forget(effective.policyId);
  return {
    status: 'newer',
    effective: toEffective(restamped, effective.via),
    restampedFrom: fresh.latestVersion,
  };
}
