/**
 * The queries Wake-on-LAN bridge selection needs: a target's NICs and site, and the online agents
 * that could relay its magic packet. Candidates come from the index and are checked against the
 * truth (the projection for addresses, the record for the site and presence). The choice itself is
 * pure: choose-bridges.ts.
 */
import type { DeviceItem } from '../devices/device-records.ts';
import { deviceStatus } from '../devices/presence.ts';
import type { BridgeCandidate, BridgePool, WakeNic, WakeTarget } from './choose-bridges.ts';
import { wakeSubnets } from './choose-bridges.ts';
import { batchGet, labelPk, queryAddresses, queryLabel } from './device-index.ts';
import { cidrOf, parseCidr } from './ipv4.ts';
import { assignmentsIn, getProjection, getProjections, subnetOf } from './network-index.ts';
import type { TargetsDeps } from './selector.ts';

/** Candidates read per subnet or site at most: a bridge search is not a fleet scan. */
export const MAX_CANDIDATES_READ = 1000;

export interface CandidateQuery {
  /** The target's subnet (CIDR). */
  readonly subnet: string;
  readonly site?: string;
  readonly now: number;
  readonly graceMs: number;
}

export interface BridgeCandidates {
  /** Online agents with a (non-virtual) interface in the subnet, freshest first. */
  readonly inSubnet: BridgeCandidate[];
  /** Online agents of the site, freshest first (those in the subnet too included). */
  readonly sameSite: BridgeCandidate[];
}

const freshness = (item: DeviceItem): number => item.lastHeartbeatAt ?? item.lastConnectedAt ?? 0;
const byFreshness = (a: BridgeCandidate, b: BridgeCandidate): number => b.lastHeartbeatAt - a.lastHeartbeatAt;

export async function findBridgeCandidates(
  deps: TargetsDeps,
  query: CandidateQuery,
): Promise<BridgeCandidates> {
  const [inSubnet, sameSite] = await Promise.all([
    subnetCandidates(deps, query),
    query.site === undefined ? Promise.resolve([]) : siteCandidates(deps, query.site, query),
  ]);
  return { inSubnet, sameSite };
}

async function subnetCandidates(deps: TargetsDeps, query: CandidateQuery): Promise<BridgeCandidate[]> {
  const block = parseCidr(query.subnet);
  if (!block || block.prefix < 8)
    throw new RangeError(`subnet ${query.subnet} is not an IPv4 CIDR of /8 or longer`);
  const found = new Set<string>();
  let after: string | undefined;
  let read = 0;
  do {
    const page = await queryAddresses(deps, block, { limit: 200, ...(after === undefined ? {} : { after }) });
    read += page.items.length;
    for (const item of page.items) {
      if (!item.virtual) found.add(item.deviceId);
    }
    after = page.after;
  } while (after !== undefined && read < MAX_CANDIDATES_READ);
  const ids = [...found];
  const [projections, records] = await Promise.all([getProjections(deps, ids), recordsOf(deps, ids)]);
  const out: BridgeCandidate[] = [];
  for (const deviceId of found) {
    const record = records.get(deviceId);
    const projection = projections.get(deviceId);
    if (!record || !projection || deviceStatus(record, query.now, query.graceMs) !== 'online') continue;
    // The projection is the truth: the address must still be there, on a real (non-virtual) NIC.
    const held = assignmentsIn(projection, block).find((a) => !a.iface.virtual);
    if (!held) continue;
    out.push({
      deviceId,
      lastHeartbeatAt: freshness(record),
      iface: held.iface.name,
      address: held.assignment.address,
    });
  }
  return out.sort(byFreshness);
}

async function siteCandidates(
  deps: TargetsDeps,
  site: string,
  query: { readonly now: number; readonly graceMs: number },
): Promise<BridgeCandidate[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await queryLabel(deps, labelPk('site', site), {
      limit: 200,
      ...(after === undefined ? {} : { after }),
    });
    ids.push(...page.items);
    after = page.after;
  } while (after !== undefined && ids.length < MAX_CANDIDATES_READ);
  const records = await recordsOf(deps, ids);
  const out: BridgeCandidate[] = [];
  for (const deviceId of ids) {
    const record = records.get(deviceId);
    // The record is the truth: the membership item may be left over from an older label.
    if (!record || record.labels?.site !== site) continue;
    if (deviceStatus(record, query.now, query.graceMs) !== 'online') continue;
    out.push({ deviceId, lastHeartbeatAt: freshness(record) });
  }
  return out.sort(byFreshness);
}

async function recordsOf(deps: TargetsDeps, ids: readonly string[]): Promise<Map<string, DeviceItem>> {
  const items = await batchGet<DeviceItem>(
    deps.ddb,
    deps.devicesTable,
    ids.map((deviceId) => ({ deviceId })),
  );
  return new Map(items.map((item) => [item.deviceId, item]));
}

/**
 * A wake target's NICs (MAC, and the subnet it has an address in) from its network projection, and
 * its site from its record. Virtual adapters are left out: no magic packet reaches them.
 */
export async function targetNetwork(deps: TargetsDeps, deviceId: string): Promise<WakeTarget> {
  const [projection, records] = await Promise.all([
    getProjection(deps, deviceId),
    recordsOf(deps, [deviceId]),
  ]);
  const site = records.get(deviceId)?.labels?.site;
  const nics: WakeNic[] = [];
  for (const iface of projection?.interfaces ?? []) {
    if (iface.virtual || iface.mac === undefined) continue;
    if (iface.ipv4.length === 0) nics.push({ iface: iface.name, mac: iface.mac });
    for (const assignment of iface.ipv4) {
      nics.push({ iface: iface.name, mac: iface.mac, subnet: cidrOf(subnetOf(assignment)) });
    }
  }
  return { deviceId, ...(site === undefined ? {} : { site }), nics };
}

/** Every candidate the targets' subnets and sites offer, for chooseBridges. */
export async function gatherBridgePool(
  deps: TargetsDeps,
  targets: readonly WakeTarget[],
  at: { now: number; graceMs: number },
): Promise<BridgePool> {
  const subnets = [...new Set(targets.flatMap((t) => wakeSubnets(t)))];
  const sites = [...new Set(targets.flatMap((t) => (t.site === undefined ? [] : [t.site])))];
  const [bySubnet, bySite] = await Promise.all([
    Promise.all(
      subnets.map(async (subnet) => [subnet, await subnetCandidates(deps, { subnet, ...at })] as const),
    ),
    Promise.all(sites.map(async (site) => [site, await siteCandidates(deps, site, at)] as const)),
  ]);
  return { bySubnet: new Map(bySubnet), bySite: new Map(bySite) };
}
