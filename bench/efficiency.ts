/**
 * Pipeline efficiency: the DynamoDB request rate the pipeline drove the emulator at (reports/s ×
 * requests per report, counted at the emulator) against what the handlers' own DynamoDB client
 * reaches with no pipeline around it (dynamodb-sdk-raw.ts, the faster of a run before and a run
 * after the pipeline), with the emulator's thin-client ceiling (dynamodb-raw.ts) and the CPU per
 * request of both next to it.
 */
import type { RawDynamoDbResult } from './dynamodb-raw.ts';
import type { SdkRawResult } from './dynamodb-sdk-raw.ts';
import type { ThroughputBenchResult } from './inventory-throughput.ts';
import { table } from './table.ts';

/** The pipeline drives the emulator at ≥ 80 % of the rate a bare client reaches. */
const TARGET_EFFICIENCY = 0.8;

export interface EfficiencyResult {
  /** The baseline: the handlers' client doing nothing but requests (the faster of two runs). */
  raw: SdkRawResult;
  /** requests/s of the runs before and after the pipeline. */
  rawRuns: [number, number];
  /** The emulator's ceiling: a thin client with pre-serialised requests, no SDK. */
  emulatorCeiling: RawDynamoDbResult;
  /** reports/s × DynamoDB requests per report: the request rate the pipeline drove the emulator at. */
  pipelineRequestsPerSec: number;
  /** pipelineRequestsPerSec ÷ raw requests/s. */
  efficiency: number;
  /**
   * The same with only the requests the work needs (reports/s × requests per report applied in
   * order): the looks for a base and the retries that concurrent delivery adds earn nothing.
   */
  inOrderEfficiency: number;
  /** pipelineRequestsPerSec ÷ the emulator's ceiling. */
  ofEmulatorCeiling: number;
  /**
   * The same question in CPU time, which other load on a shared machine does not skew: the raw
   * run's CPU per request ÷ the pipeline's CPU per request (whole process, all threads).
   */
  cpuEfficiency: number;
  /** The efficiency as the issue defines it reaches the minimum (the in-order figure is shown next to it). */
  target: { min: number; met: boolean };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function efficiencyOf(
  throughput: ThroughputBenchResult,
  rawRuns: [SdkRawResult, SdkRawResult],
  emulatorCeiling: RawDynamoDbResult,
): EfficiencyResult {
  const [before, after] = rawRuns;
  const raw = after.requestsPerSec > before.requestsPerSec ? after : before;
  const pipelineRequestsPerSec =
    Math.round(throughput.reportsPerSec * throughput.dynamodbRequestsPerReport * 10) / 10;
  const efficiency = round2(pipelineRequestsPerSec / raw.requestsPerSec);
  const inOrderEfficiency = round2(
    (throughput.reportsPerSec * throughput.inOrderRequestsPerReport) / raw.requestsPerSec,
  );
  return {
    raw,
    rawRuns: [before.requestsPerSec, after.requestsPerSec],
    emulatorCeiling,
    pipelineRequestsPerSec,
    efficiency,
    inOrderEfficiency,
    ofEmulatorCeiling: round2(pipelineRequestsPerSec / emulatorCeiling.requestsPerSec),
    cpuEfficiency: round2(raw.cpuMsPerRequest / throughput.cpuMsPerRequest),
    target: { min: TARGET_EFFICIENCY, met: efficiency >= TARGET_EFFICIENCY },
  };
}

/** One timed round, for the list of rounds next to the median. */
export interface EfficiencyRound {
  reportsPerSec: number;
  rawRequestsPerSec: number;
  efficiency: number;
  inOrderEfficiency: number;
  cpuEfficiency: number;
}

export const roundOf = (t: ThroughputBenchResult, e: EfficiencyResult): EfficiencyRound => ({
  reportsPerSec: t.reportsPerSec,
  rawRequestsPerSec: e.raw.requestsPerSec,
  efficiency: e.efficiency,
  inOrderEfficiency: e.inOrderEfficiency,
  cpuEfficiency: e.cpuEfficiency,
});

export function formatRounds(rounds: readonly EfficiencyRound[]): string {
  return table(
    ['round', 'reports/s', 'raw req/s', 'efficiency', 'in order', 'CPU'],
    rounds.map((r, i) => [
      String(i + 1),
      r.reportsPerSec.toFixed(1),
      String(r.rawRequestsPerSec),
      r.efficiency.toFixed(2),
      r.inOrderEfficiency.toFixed(2),
      r.cpuEfficiency.toFixed(2),
    ]),
  );
}

export function formatEfficiencyTable(
  r: EfficiencyResult,
  t: ThroughputBenchResult,
  rounds: readonly EfficiencyRound[] = [],
): string {
  const o = r.raw.options;
  const c = r.emulatorCeiling.options;
  const rows = [
    [
      `raw rate: handlers' client, ${o.threads} threads × ${o.concurrency} concurrent ${r.raw.operation}, ${o.itemBytes} B, ${o.durationMs / 1000} s (best of before/after: ${r.rawRuns.join(', ')})`,
      `${r.raw.requestsPerSec} req/s`,
    ],
    ['reports/s end to end', t.reportsPerSec.toFixed(1)],
    ['DynamoDB requests per report', t.dynamodbRequestsPerReport.toFixed(1)],
    ['pipeline DynamoDB rate (reports/s × requests/report)', `${r.pipelineRequestsPerSec.toFixed(0)} req/s`],
    ['efficiency (pipeline rate ÷ raw rate)', r.efficiency.toFixed(2)],
    [
      'counting only what the work needs (reports/s × requests per report applied in order ÷ raw rate)',
      r.inOrderEfficiency.toFixed(2),
    ],
    [
      `emulator ceiling: thin client, ${c.concurrency} concurrent ${r.emulatorCeiling.operation}, no SDK`,
      `${r.emulatorCeiling.requestsPerSec} req/s`,
    ],
    ['pipeline rate ÷ emulator ceiling', r.ofEmulatorCeiling.toFixed(2)],
    ['CPU per request, raw run (ms, all threads)', r.raw.cpuMsPerRequest.toFixed(2)],
    ['CPU per request, pipeline (ms, all threads)', t.cpuMsPerRequest.toFixed(2)],
    ['CPU efficiency (raw ÷ pipeline CPU per request)', r.cpuEfficiency.toFixed(2)],
  ];
  return [
    "pipeline efficiency: the pipeline's DynamoDB request rate against what the handlers' own client reaches with no pipeline (same run)",
    ...(rounds.length > 1
      ? [
          `${rounds.length} timed rounds, each between two runs of the baseline (the higher kept); the median round:`,
        ]
      : []),
    table(['efficiency', 'value'], rows),
    ...(rounds.length > 1 ? ['', 'every round:', formatRounds(rounds)] : []),
    `efficiency ≥ ${r.target.min} → ${r.target.met ? 'met' : 'NOT met'} (counting only what the work needs: ${r.inOrderEfficiency.toFixed(2)})`,
  ].join('\n');
}
