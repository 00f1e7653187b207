/**
 * Analyzer bytes on the wire: seeded simulated sessions (desktops with one user, terminal-server
 * sessions with fewer apps each), sampled every 15 s and batched every 5 min, each batch encoded
 * (analyzer-codec.ts), framed and brotli-compressed exactly as the agent publishes it; next to it,
 * the same batch as row JSON (the shape of the reference product's file) raw and gzipped.
 */
import { gzipSync } from 'node:zlib';
import type { AnalyzerSample } from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { hashString } from '#simulator/rng.ts';
import { type Distribution, distribution } from './inventory-wire.ts';
import { table } from './table.ts';

export interface AnalyzerWireOptions {
  sessions: number;
  /** Batches per session. */
  batches: number;
  sampleIntervalSec: number;
  uploadIntervalSec: number;
  seed: number;
}

export interface AnalyzerWireResult {
  options: AnalyzerWireOptions;
  batches: number;
  processesPerSession: Distribution;
  appsPerBatch: Distribution;
  compressed: Distribution;
  rowJson: Distribution;
  rowJsonGzip: Distribution;
  /** IoT Core meters 5 KB units of payload + topic. */
  iotMessageUnits: Distribution;
  reference: { bytes: string };
  targets: { medianMax: number; p95Max: number; unitsMax: number; met: boolean };
}

const TARGET_MEDIAN = 4 * 1024;
const TARGET_P95 = 5 * 1024;
const IOT_UNIT = 5 * 1024;

export function runAnalyzerWireBench(options: AnalyzerWireOptions): AnalyzerWireResult {
  const compressed: number[] = [];
  const rowJson: number[] = [];
  const rowGzip: number[] = [];
  const units: number[] = [];
  const procs: number[] = [];
  const apps: number[] = [];
  const perBatch = Math.round(options.uploadIntervalSec / options.sampleIntervalSec);
  for (let s = 0; s < options.sessions; s++) {
    const seed = (options.seed ^ hashString(`session-${s}`)) >>> 0;
    // Every third session is one of many on a terminal server: fewer apps of its own.
    const terminal = s % 3 === 2;
    const session = new SimulatedSession({
      seed,
      platform: s % 10 < 7 ? 'windows' : 'linux',
      ...(terminal ? { workingApps: [2, 5] as const } : {}),
    });
    const sessionId = `s${s}`;
    const topicBytes = Buffer.byteLength(topics.analyzer(`bench-${s}`, sessionId));
    let t = Date.UTC(2024, 5, 3, 8);
    for (let b = 1; b <= options.batches; b++) {
      const samples: AnalyzerSample[] = [];
      for (let i = 0; i < perBatch; i++) {
        t += options.sampleIntervalSec * 1000;
        samples.push(session.sample(t, options.sampleIntervalSec));
      }
      procs.push(session.processCount);
      const batch = {
        sessionId,
        user: `CORP\\user${s}`,
        seq: b,
        intervalSec: options.sampleIntervalSec,
        final: false,
        samples,
      };
      apps.push(new Set(samples.flatMap((x) => x.apps.map((a) => a.app))).size);
      const frame = encodeFramed(encodeAnalyzerBatch(batch));
      const rows = Buffer.from(JSON.stringify(batch));
      compressed.push(frame.length);
      rowJson.push(rows.length);
      rowGzip.push(gzipSync(rows).length);
      units.push(Math.ceil((frame.length + topicBytes) / IOT_UNIT));
    }
  }
  const result = {
    options,
    batches: compressed.length,
    processesPerSession: distribution(procs),
    appsPerBatch: distribution(apps),
    compressed: distribution(compressed),
    rowJson: distribution(rowJson),
    rowJsonGzip: distribution(rowGzip),
    iotMessageUnits: distribution(units),
    reference: { bytes: '35-50 KB per session every 5 min' },
  };
  return {
    ...result,
    targets: {
      medianMax: TARGET_MEDIAN,
      p95Max: TARGET_P95,
      unitsMax: 1,
      met:
        result.compressed.median <= TARGET_MEDIAN &&
        result.compressed.p95 <= TARGET_P95 &&
        result.iotMessageUnits.max <= 1,
    },
  };
}

export function formatAnalyzerWireTable(r: AnalyzerWireResult): string {
  const o = r.options;
  const b = (d: Distribution) => [`${d.median} B`, `${d.p95} B`];
  const rows = [
    ['batch, columnar + brotli (as published)', ...b(r.compressed), '35-50 KB'],
    ['batch as row JSON (the reference shape)', ...b(r.rowJson), ''],
    ['batch as row JSON, gzip', ...b(r.rowJsonGzip), ''],
    [
      'IoT 5 KB message units per batch',
      String(r.iotMessageUnits.median),
      String(r.iotMessageUnits.p95),
      '≤ 1',
    ],
    [
      'processes in the session',
      String(r.processesPerSession.median),
      String(r.processesPerSession.p95),
      '40+',
    ],
    ['apps (executables) per batch', String(r.appsPerBatch.median), String(r.appsPerBatch.p95), ''],
  ];
  const t = r.targets;
  return [
    `analyzer batches on the wire: ${o.sessions} simulated sessions × ${o.batches} batches, ${o.sampleIntervalSec} s samples, ${o.uploadIntervalSec} s batches`,
    table(['analyzer on the wire', 'median', 'p95', 'reference'], rows),
    `median ≤ ${t.medianMax} B, p95 ≤ ${t.p95Max} B, ${t.unitsMax} IoT unit → ${t.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}
