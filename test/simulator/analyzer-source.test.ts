import { describe, expect, it } from 'vitest';
import { SimulatedAnalyzerSource } from '#simulator/analyzer/source.ts';

const DAY_MS = 24 * 3600_000;

async function run(source: SimulatedAnalyzerSource, ticks: number) {
  const counts: number[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < ticks; i++) {
    const sessions = await source.sessions();
    counts.push(sessions.length);
    for (const s of sessions) ids.add(s.id);
  }
  return { counts, ids };
}

describe('simulated analyzer source', () => {
  it('keeps a terminal server between 5 and 30 sessions while users log on and off', async () => {
    const source = new SimulatedAnalyzerSource({
      seed: 3,
      platform: 'windows',
      terminalServer: true,
      sampleIntervalSec: 5,
    });

    const { counts, ids } = await run(source, 2_000);

    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...counts)).toBeLessThanOrEqual(30);
    // Sessions came and went: more distinct sessions than were ever live at once.
    expect(ids.size).toBeGreaterThan(Math.max(...counts));
  });

  it('gives a desktop one user', async () => {
    const source = new SimulatedAnalyzerSource({ seed: 3, platform: 'linux', sampleIntervalSec: 5 });

    const { counts } = await run(source, 500);

    expect(Math.max(...counts)).toBe(1);
  });

  it('names sessions by their logon time, so the same seeded machine restarted never reuses an id', async () => {
    const options = { seed: 9, platform: 'windows' as const, terminalServer: true, sampleIntervalSec: 5 };
    const first = await new SimulatedAnalyzerSource({ ...options, now: () => 0 }).sessions();
    const again = await new SimulatedAnalyzerSource({ ...options, now: () => DAY_MS }).sessions();

    const reused = again.filter((s) => first.some((f) => f.id === s.id));
    expect(reused).toEqual([]);
    expect(again.map((s) => s.user)).toEqual(first.map((s) => s.user));
  });

  it('samples every session it lists with the apps of a working user', async () => {
    const source = new SimulatedAnalyzerSource({
      seed: 4,
      platform: 'windows',
      terminalServer: true,
      sampleIntervalSec: 5,
    });
    const sessions = await source.sessions();

    const samples = await source.sample(sessions, Date.UTC(2026, 10, 29, 12));

    expect([...samples.keys()].sort()).toEqual(sessions.map((s) => s.id).sort());
    for (const sample of samples.values()) expect(sample.apps.length).toBeGreaterThan(3);
  });
});
