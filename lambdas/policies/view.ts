/**
 * What operators see of policies: per policy, who it is assigned to, how many devices it is effective
 * for, and per version how many of those run it (their last heartbeat's `policyVersion`). Counting
 * needs every device's group and version, so it scans the devices table (read-only, projected to
 * three attributes): an operator read, not a device path.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceLabels } from '#protocol/api/labels.ts';
import type { PolicyView } from '#protocol/api/policies.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';
import { type AssignTarget, allAssignments } from './assignments.ts';
import type { PolicyDeps } from './effective.ts';
import { listHeads, listVersions, type PolicyHead } from './store.ts';

/** Versions GET /policies/{id} shows, newest first (older ones stay stored). */
export const MAX_VERSIONS_SHOWN = 50;

interface DeviceFacts {
  readonly deviceId: string;
  readonly labels?: DeviceLabels;
  readonly policyVersion?: number;
}

/** Devices by the policy effective for them (their own, else their group's, else the default). */
async function devicesByEffectivePolicy(
  deps: PolicyDeps,
  policyIds: readonly string[],
): Promise<{ byPolicy: Map<string, DeviceFacts[]>; assignedTo: Map<string, AssignTarget[]> }> {
  const { devices, groups, defaultPolicy } = await allAssignments(deps, policyIds);
  const assignedTo = new Map<string, AssignTarget[]>(policyIds.map((id) => [id, []]));
  for (const [id, policyId] of devices) assignedTo.get(policyId)?.push({ kind: 'device', id });
  for (const [id, policyId] of groups) assignedTo.get(policyId)?.push({ kind: 'group', id });
  if (defaultPolicy !== undefined) assignedTo.get(defaultPolicy)?.push({ kind: 'default' });

  const byPolicy = new Map<string, DeviceFacts[]>(policyIds.map((id) => [id, []]));
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new ScanCommand({
        TableName: deps.devicesTable,
        ProjectionExpression: 'deviceId, #labels, policyVersion',
        ExpressionAttributeNames: { '#labels': 'labels' },
        ExclusiveStartKey: start,
      }),
    );
    for (const device of (page.Items ?? []) as DeviceFacts[]) {
      const group = device.labels?.group;
      const policyId =
        devices.get(device.deviceId) ??
        (group === undefined ? undefined : groups.get(group)) ??
        defaultPolicy;
      if (policyId !== undefined) byPolicy.get(policyId)?.push(device);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return { byPolicy, assignedTo };
}

function assignedToView(targets: readonly AssignTarget[]): PolicyView['assignedTo'] {
  const ids = (kind: 'device' | 'group') =>
    targets.flatMap((t) => (t.kind === kind ? [t.id] : [])).sort((a, b) => a.localeCompare(b));
  return {
    deviceIds: ids('device'),
    groups: ids('group'),
    default: targets.some((t) => t.kind === 'default'),
  };
}

export async function policyView(deps: PolicyDeps, head: PolicyHead): Promise<PolicyView> {
  const heads = await listHeads(deps);
  const { byPolicy, assignedTo } = await devicesByEffectivePolicy(
    deps,
    heads.map((h) => h.policyId),
  );
  const devices = byPolicy.get(head.policyId) ?? [];
  const versions = await listVersions(deps, head.policyId, MAX_VERSIONS_SHOWN);
  return {
    policyId: head.policyId,
    latestVersion: head.latestVersion,
    assignedTo: assignedToView(assignedTo.get(head.policyId) ?? []),
    devicesAssigned: devices.length,
    versions: versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      document: PolicyDocumentSchema.parse({ ...v.document, version: v.version }),
      devicesRunning: devices.filter((d) => d.policyVersion === v.version).length,
    })),
  };
}

export interface PolicySummary {
  readonly policyId: string;
  readonly latestVersion: number;
  readonly updatedAt: number;
  readonly assignedTo: PolicyView['assignedTo'];
  readonly devicesAssigned: number;
  /** Assigned devices whose last heartbeat reports the latest version. */
  readonly devicesOnLatest: number;
}

export async function listPolicies(deps: PolicyDeps): Promise<PolicySummary[]> {
  const heads = await listHeads(deps);
  const { byPolicy, assignedTo } = await devicesByEffectivePolicy(
    deps,
    heads.map((h) => h.policyId),
  );
  return heads.map((head) => {
    const devices = byPolicy.get(head.policyId) ?? [];
    return {
      policyId: head.policyId,
      latestVersion: head.latestVersion,
      updatedAt: head.createdAt,
      assignedTo: assignedToView(assignedTo.get(head.policyId) ?? []),
      devicesAssigned: devices.length,
      devicesOnLatest: devices.filter((d) => d.policyVersion === head.latestVersion).length,
    };
  });
}
