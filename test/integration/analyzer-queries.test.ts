/**
 * The analyzer's named queries, answered by DuckDB over Parquet files written in the layout the
 * cloud uses, with one batch stored twice: each answer must equal what the batches say, counted once.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedQueries } from '#lambdas/analyzer/queries.ts';
import { type DeviceBatch, queryObjectKey, toQueryFiles } from '#lambdas/analyzer/query-tables.ts';
import { runNamedQuery } from '#local/analyzer-sql.ts';
import type { AnalyzerSample, AppSample, SessionState } from '#protocol/analyzer.ts';

const DAY = Date.UTC(2024, 5, 3, 8);
const app = (name: string, cpuPct: number, focusSec = 0): AppSample => ({
  app: name,
  procs: 2,
  cpuPct,
  memMb: 100,
  focusSec,
});
const sample = (i: number, state: SessionState, cpuPct: number, apps: AppSample[]): AnalyzerSample => ({
  t: DAY + i * 15_000,
  state,
  cpuPct,
  memPct: 40,
  diskKBps: 0,
  netRxKBps: 1,
  netTxKBps: 1,
  apps,
});
const batch = (deviceId: string, seq: number, samples: AnalyzerSample[]): DeviceBatch => ({
  deviceId,
  batch: {
    sessionId: `${deviceId}-s1`,
    user: `CORP\\${deviceId}`,
    seq,
    intervalSec: 15,
    final: false,
    samples,
  },
});

// hot: 25 samples (6 min 15 s) over 90 % in a row, then calm; idle: mostly idle and locked; busy: normal work.
const hot = batch(
  'hot',
  1,
  Array.from({ length: 30 }, (_, i) =>
    sample(i, 'active', i < 25 ? 97 : 20, [app('build.exe', i < 25 ? 80 : 5), app('code.exe', 3, 15)]),
  ),
);
const idle = batch(
  'idle',
  1,
  Array.from({ length: 20 }, (_, i) =>
    sample(i, i < 8 ? 'idle' : i < 16 ? 'locked' : 'active', 5, [app('chrome.exe', 1, i >= 16 ? 15 : 0)]),
  ),
);
const busy = batch(
  'busy',
  7,
  Array.from({ length: 20 }, (_, i) =>
    sample(i, 'active', 50, [app('chrome.exe', 20, 10), app('teams.exe', 8, 5)]),
  ),
);
// A day outside the range asked about.
const later = batch('busy', 8, [
  { ...sample(0, 'idle', 99, [app('chrome.exe', 99, 15)]), t: DAY + 5 * 86_400_000 },
]);
const batches = [hot, idle, busy, later];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp-analyzer-sql-'));
  const write = async (name: string, items: DeviceBatch[]) => {
    for (const [day, files] of toQueryFiles(items)) {
      for (const table of ['samples', 'apps'] as const) {
        const path = join(dir, queryObjectKey(table, day, name).replace(/^analyzer\//, ''));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, files[table]);
      }
    }
  };
  await write('first', batches);
  // The busy device's batch delivered again, stored in a second file.
  await write('redelivered', [busy]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const query = (name: string) => {
  const q = namedQueries.find((x) => x.name === name);
  if (q === undefined) throw new Error(`no query ${name}`);
  return runNamedQuery(dir, q, '2024-06-03', '2024-06-04');
};

/** What the batches in range say, computed here without SQL. */
function appTotals() {
  const totals = new Map<string, { cpu: number; focus: number }>();
  for (const { batch } of [hot, idle, busy]) {
    for (const s of batch.samples) {
      for (const a of s.apps) {
        const t = totals.get(a.app) ?? { cpu: 0, focus: 0 };
        t.cpu += (a.cpuPct * batch.intervalSec) / 100 / 3600;
        t.focus += a.focusSec / 3600;
        totals.set(a.app, t);
      }
    }
  }
  return totals;
}

describe('analyzer named queries over the local layout (DuckDB)', () => {
  it('top apps by CPU count a redelivered batch once and leave out days outside the range', async () => {
    const rows = await query('top-apps-by-cpu');
    const expected = [...appTotals()].sort((a, b) => b[1].cpu - a[1].cpu || a[0].localeCompare(b[0]));
    expect(rows.map((r) => r.app)).toEqual(expected.map(([name]) => name));
    rows.forEach((r, i) => {
      // Rounded to 3 decimals in SQL.
      expect(Math.abs(Number(r.cpu_hours) - (expected[i]?.[1].cpu ?? -1))).toBeLessThanOrEqual(0.00051);
    });
    // The redelivered batch would have doubled teams.exe, which only the busy device runs.
    const teams = rows.find((r) => r.app === 'teams.exe');
    expect(Number(teams?.cpu_hours)).toBeCloseTo((20 * 8 * 15) / 100 / 3600, 3);
  });

  it('top apps by focus time', async () => {
    const rows = await query('top-apps-by-focus');
    const expected = [...appTotals()]
      .filter(([, t]) => t.focus > 0)
      .map(([name, t]) => ({ app: name, focus_hours: Math.round(t.focus * 1000) / 1000 }))
      .sort((a, b) => b.focus_hours - a.focus_hours || a.app.localeCompare(b.app));
    expect(rows.map((r) => ({ app: r.app, focus_hours: Number(r.focus_hours) }))).toEqual(expected);
  });

  it('finds the session that stayed above 90 % CPU for 5 minutes or more, and only that one', async () => {
    const rows = await query('sustained-high-cpu-sessions');
    expect(rows.map((r) => [r.device_id, r.session_id, Number(r.seconds)])).toEqual([
      ['hot', 'hot-s1', 25 * 15],
    ]);
  });

  it('ranks devices by idle and locked time', async () => {
    const rows = await query('most-idle-or-locked-devices');
    expect(
      rows.map((r) => [r.device_id, Number(r.idle_sec), Number(r.locked_sec), Number(r.total_sec)]),
    ).toEqual([
      ['idle', 8 * 15, 8 * 15, 20 * 15],
      ['busy', 0, 0, 20 * 15],
      ['hot', 0, 0, 30 * 15],
    ]);
  });
});
