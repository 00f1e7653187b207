/**
 * A realistic device inventory (~75 KB of JSON, like the reference products' initial report) and the
 * churn a device sees between reports, plus report/frame builders. Deterministic (seeded).
 */

import { Codec, encodeFramed } from '#protocol/encoding.ts';
import type { DiffReport, FullReport, JsonObject, SectionName } from '#protocol/inventory.ts';
import { createMergePatch } from '#protocol/merge-patch.ts';
import { topics } from '#protocol/topics.ts';
import { createRng } from '#simulator/rng.ts';
import { buildRuleEvent, type RuleEvent } from '#wiring/rule-event.ts';

export type DeviceState = Partial<Record<SectionName, JsonObject>>;

/** Seeded uniform [0, 1) source for fixtures. */
export function rng(seed: number): () => number {
  return createRng(seed).next;
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const hex = (r: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

const VENDORS = [
  'Microsoft',
  'Google',
  'Mozilla',
  'Adobe',
  'Oracle',
  'VideoLAN',
  'Canonical',
  'JetBrains',
  'Zoom',
];

function softwarePackage(r: () => number, i: number): JsonObject {
  return {
    name: `package-${i}-${hex(r, 6)}`,
    version: `${Math.floor(r() * 20)}.${Math.floor(r() * 10)}.${Math.floor(r() * 100)}`,
    publisher: pick(r, VENDORS),
    installedAt: 1_700_000_000_000 + Math.floor(r() * 1e10),
    sizeKb: Math.floor(r() * 500_000),
    installLocation: `C:\\Program Files\\${pick(r, VENDORS)}\\${hex(r, 8)}`,
    source: pick(r, ['msi', 'winget', 'store', 'exe']),
  };
}

function service(r: () => number, i: number): JsonObject {
  return {
    displayName: `Service ${i} ${hex(r, 4)}`,
    state: pick(r, ['running', 'stopped']),
    startType: pick(r, ['auto', 'manual', 'disabled']),
    account: pick(r, ['LocalSystem', 'NetworkService', 'LocalService']),
    binaryPath: `C:\\Windows\\System32\\svc${hex(r, 6)}.exe -k netsvcs`,
  };
}

export function initialState(seed = 1): DeviceState {
  const r = rng(seed);
  const packages: JsonObject = {};
  for (let i = 0; i < 230; i++) packages[`pkg-${hex(r, 10)}`] = softwarePackage(r, i);
  const services: JsonObject = {};
  for (let i = 0; i < 110; i++) services[`svc-${hex(r, 8)}`] = service(r, i);
  const users: JsonObject = {};
  for (let i = 0; i < 8; i++)
    users[`S-1-5-21-${hex(r, 10)}`] = { name: `user${i}`, admin: r() < 0.2, lastLogon: 1 };
  const adapters: JsonObject = {};
  for (let i = 0; i < 4; i++) {
    adapters[`eth${i}`] = {
      mac: `00:11:22:33:44:${hex(r, 2)}`,
      ipv4: [`10.0.${i}.${Math.floor(r() * 250)}`],
      up: true,
    };
  }
  return {
    hardware: {
      cpu: { model: 'Intel(R) Core(TM) i7-1185G7', cores: 4, threads: 8, mhz: 3000 },
      memory: { totalMb: 16_384 },
      disks: { C: { sizeGb: 512, freeGb: 200, fs: 'NTFS' } },
      bios: { vendor: 'Dell', version: '1.2.3', serial: hex(r, 12) },
    },
    os: {
      name: 'Windows 11 Pro',
      version: '23H2',
      build: '22631.3007',
      uptimeSec: 1000,
      hotfixes: { KB1: true },
    },
    network: { hostname: 'desk-01', adapters },
    software: { packages },
    services,
    users,
    security: { firewall: { enabled: true }, av: { name: 'Defender', upToDate: true, signature: '1.0' } },
  };
}

const clone = <T>(v: T): T => structuredClone(v);

/** One reporting interval's worth of churn: small, like a real machine between two reports. */
export function evolve(state: DeviceState, r: () => number): DeviceState {
  const next = clone(state);
  const os = next.os as JsonObject;
  os.uptimeSec = (os.uptimeSec as number) + 900;
  const packages = (next.software as { packages: JsonObject }).packages;
  const roll = r();
  if (roll < 0.4) {
    const key = pick(r, Object.keys(packages));
    (packages[key] as JsonObject).version = `${Math.floor(r() * 20)}.${Math.floor(r() * 99)}.0`;
  } else if (roll < 0.6) {
    packages[`pkg-${hex(r, 10)}`] = softwarePackage(r, 999);
  } else if (roll < 0.75) {
    delete packages[pick(r, Object.keys(packages))];
  }
  if (r() < 0.3) {
    const services = next.services as JsonObject;
    const svc = services[pick(r, Object.keys(services))] as JsonObject;
    svc.state = svc.state === 'running' ? 'stopped' : 'running';
  }
  if (r() < 0.2)
    ((next.hardware as JsonObject).disks as JsonObject).C = {
      sizeGb: 512,
      freeGb: Math.floor(r() * 500),
      fs: 'NTFS',
    };
  return next;
}

export interface ReportMeta {
  epoch: string;
  seq: number;
  collectedAt?: number;
}

export function fullReport(state: DeviceState, m: ReportMeta): FullReport {
  return {
    schema: 1,
    kind: 'full',
    epoch: m.epoch,
    seq: m.seq,
    collectedAt: m.collectedAt ?? 1_735_689_600_000 + m.seq * 1000,
    agentVersion: '1.0.0',
    errors: [],
    sections: clone(state),
  };
}

export function diffReport(
  before: DeviceState,
  after: DeviceState,
  m: ReportMeta & { baseSeq: number },
): DiffReport {
  const patches: Partial<Record<SectionName, JsonObject>> = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)]) as Set<SectionName>) {
    const patch = createMergePatch(before[name] ?? {}, after[name] ?? {});
    if (patch) patches[name] = patch;
  }
  return {
    schema: 1,
    kind: 'diff',
    epoch: m.epoch,
    seq: m.seq,
    baseSeq: m.baseSeq,
    collectedAt: m.collectedAt ?? 1_735_689_600_000 + m.seq * 1000,
    agentVersion: '1.0.0',
    errors: [],
    patches,
  };
}

export const frame = (value: unknown): Buffer => encodeFramed(value, Codec.Gzip);

export function reportEvent(deviceId: string, payload: Uint8Array, receivedAt: number): RuleEvent {
  return buildRuleEvent({ payload, topic: topics.report(deviceId), clientId: deviceId, receivedAt });
}
