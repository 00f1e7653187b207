/**
 * The fast form of the adversarial suite inside `npm test`: every fast kind against one local
 * cloud, one test per kind, then the table. The full run is `npm run adversarial`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastKinds } from './kinds.ts';
import {
  type AdversarialCloud,
  formatTable,
  type KindResult,
  runKind,
  startAdversarialCloud,
} from './run.ts';

describe('adversarial suite (fast form)', () => {
  let cloud: AdversarialCloud;
  const results: KindResult[] = [];

  beforeAll(async () => {
    cloud = await startAdversarialCloud();
  }, 60_000);
  afterAll(async () => {
    await cloud?.stop();
    console.log(formatTable(results));
  }, 60_000);

  it('has at least 60 kinds across MQTT, API, CLI and faults', async () => {
    const { allKinds } = await import('./kinds.ts');
    expect(allKinds.length).toBeGreaterThanOrEqual(60);
    expect(new Set(allKinds.map((k) => k.entry))).toEqual(new Set(['mqtt', 'api', 'cli', 'fault']));
    expect(new Set(allKinds.map((k) => `${k.entry} ${k.name}`)).size, 'kind names are unique').toBe(
      allKinds.length,
    );
  });

  it.each(fastKinds.map((k) => [`${k.entry}: ${k.name}`, k] as const))(
    '%s',
    async (_name, kind) => {
      const result = await runKind(cloud.ctx, kind);
      results.push(result);
      expect(result.error).toBeUndefined();
    },
    90_000,
  );
});
