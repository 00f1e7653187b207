/**
 * Inventory bytes on the wire over a seeded simulated fleet: one full report per device, then one
 * collection per churn step (a diff when something changed, nothing otherwise), each framed and
 * brotli-compressed exactly as the agent publishes it.
 */

import { buildReport, type ReportBaseline } from '#agent/inventory/report-builder.ts';
import { MemorySequenceStore } from '#agent/inventory/sequence-store.ts';
import { Codec, encodeFramed } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { createRng, hashString, SimulatedHost } from '#simulator/inventory/generated-host.ts';

export interface WireBenchOptions {
  devices: number;
  steps: number;
  seed: number;
}

export interface Distribution {
  median: number;
  p95: number;
  max: number;
}

export interface WireBenchResult {
  fleet: WireBenchOptions & { windows: number; linux: number };
  full: { compressed: Distribution; rawJson: Distribution; gzip: Distribution };
  diff: { compressed: Distribution; rawJson: Distribution; count: number; intervalsWithoutReport: number };
  /** IoT Core meters 5 KB units of payload + topic. */
  iotMessageUnits: { full: Distribution; diff: Distribution };
  reference: { fullBytes: number; diffBytes: string };
  targets: { fullCompressedMax: number; diffMedianMax: number; met: boolean };
}

export const REFERENCE = { fullBytes: 75 * 1024, diffBytes: '3-4 KB' } as const;
const TARGET_FULL = 15 * 1024;
const TARGET_DIFF_MEDIAN = 1024;

export function runInventoryWireBench(options: WireBenchOptions): WireBenchResult {
  const fullCompressed: number[] = [];
  const fullRaw: number[] = [];
  const fullGzip: number[] = [];
  const fullUnits: number[] = [];
  const diffCompressed: number[] = [];
  const diffRaw: number[] = [];
  const diffUnits: number[] = [];
  let silent = 0;
  let windows = 0;
  const collectedAtBase = Date.UTC(2024, 5, 1);

  for (let d = 0; d < options.devices; d++) {
    const deviceId = `bench-${String(d).padStart(4, '0')}`;
    const seed = (options.seed ^ hashString(deviceId)) >>> 0;
    const host = new SimulatedHost(seed, { hostname: deviceId });
    if (host.platform === 'windows') windows++;
    const churn = createRng(seed ^ 0x5eed);
    const seqStore = new MemorySequenceStore(`epoch-${deviceId}`);
    const topicBytes = Buffer.byteLength(topics.report(deviceId));
    let baseline: ReportBaseline | undefined;

    for (let step = 0; step <= options.steps; step++) {
      if (step > 0) host.step(churn);
      const collected = {
        sections: host.sections(),
        errors: [],
        collectedAt: collectedAtBase + step * 900_000,
      };
      const built = buildReport(baseline, collected, seqStore, { agentVersion: '0.1.0' });
      if (built === undefined) {
        silent++;
        continue;
      }
      baseline = built.baseline;
      const payload = encodeFramed(built.report);
      const raw = Buffer.byteLength(JSON.stringify(built.report));
      const units = Math.ceil((payload.length + topicBytes) / 5120);
      if (built.report.kind === 'full') {
        fullCompressed.push(payload.length);
        fullRaw.push(raw);
        fullGzip.push(encodeFramed(built.report, Codec.Gzip).length);
        fullUnits.push(units);
      } else {
        diffCompressed.push(payload.length);
        diffRaw.push(raw);
        diffUnits.push(units);
      }
    }
  }

  const fullDist = distribution(fullCompressed);
  const diffDist = distribution(diffCompressed);
  return {
    fleet: { ...options, windows, linux: options.devices - windows },
    full: { compressed: fullDist, rawJson: distribution(fullRaw), gzip: distribution(fullGzip) },
    diff: {
      compressed: diffDist,
      rawJson: distribution(diffRaw),
      count: diffCompressed.length,
      intervalsWithoutReport: silent,
    },
    iotMessageUnits: { full: distribution(fullUnits), diff: distribution(diffUnits) },
    reference: REFERENCE,
    targets: {
      fullCompressedMax: TARGET_FULL,
      diffMedianMax: TARGET_DIFF_MEDIAN,
      met: fullDist.max <= TARGET_FULL && diffDist.median <= TARGET_DIFF_MEDIAN,
    },
  };
}

export function formatWireTable(r: WireBenchResult): string {
  const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
  const rows: [string, string, string, string][] = [
    ['full report, compressed (brotli)', kb(r.full.compressed.median), kb(r.full.compressed.p95), '~75 KB'],
    ['full report, compressed (gzip, for comparison)', kb(r.full.gzip.median), kb(r.full.gzip.p95), ''],
    ['full report, raw JSON', kb(r.full.rawJson.median), kb(r.full.rawJson.p95), '~75 KB'],
    [
      'diff report, compressed (brotli)',
      `${r.diff.compressed.median} B`,
      `${r.diff.compressed.p95} B`,
      '~3-4 KB',
    ],
    ['diff report, raw JSON', `${r.diff.rawJson.median} B`, `${r.diff.rawJson.p95} B`, ''],
    [
      'IoT 5 KB message units per full',
      String(r.iotMessageUnits.full.median),
      String(r.iotMessageUnits.full.p95),
      '15',
    ],
    [
      'IoT 5 KB message units per diff',
      String(r.iotMessageUnits.diff.median),
      String(r.iotMessageUnits.diff.p95),
      '1',
    ],
  ];
  const header: [string, string, string, string] = ['inventory on the wire', 'median', 'p95', 'reference'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const f = r.fleet;
  return [
    `fleet: ${f.devices} simulated devices (${f.windows} Windows, ${f.linux} Linux) × ${f.steps} churn steps, seed ${f.seed}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    `${r.diff.count} diffs; ${r.diff.intervalsWithoutReport} intervals with no change sent nothing`,
    `targets: full ≤ ${kb(r.targets.fullCompressedMax)} (max seen ${kb(r.full.compressed.max)}), median diff ≤ ${r.targets.diffMedianMax} B → ${r.targets.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}

export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { median: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}
