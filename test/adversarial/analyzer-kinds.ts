/**
 * Bad input on the analyzer topic (Basic Ingest, as agents publish it): each kind is dead-lettered
 * with its reason and leaves no session behind, or — keys that are data, a redelivery — is stored
 * exactly once. The runner checks after each kind that the control device works.
 */
import { expect } from 'vitest';
import type { AnalyzerBatch, AnalyzerWireBatch } from '#protocol/analyzer.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed, MAX_DECODED_BYTES } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { waitFor } from '../support/wait.ts';
import type { AdversarialContext } from './context.ts';
import { type Kind, kind } from './kind.ts';
import { framedText } from './messages.ts';

const SESSION = 's-1';

function batch(seq = 1, sessionId = SESSION): AnalyzerBatch {
  const session = new SimulatedSession({ seed: 11, platform: 'windows' });
  const start = Date.UTC(2026, 10, 2, 9) + (seq - 1) * 300_000;
  return {
    sessionId,
    user: 'CORP\\eve',
    seq,
    intervalSec: 15,
    final: false,
    samples: Array.from({ length: 20 }, (_, i) => session.sample(start + (i + 1) * 15_000, 15)),
  };
}

/** A wire batch changed by `change`: what a buggy or hostile agent could send. */
const tampered = (change: (wire: AnalyzerWireBatch) => unknown): Buffer =>
  framedText(JSON.stringify(change(encodeAnalyzerBatch(batch()))));

async function publishAnalyzer(ctx: AdversarialContext, deviceId: string, payloads: Buffer[]): Promise<void> {
  const client = await ctx.device(deviceId);
  const topic = basicIngestTopic(topics.analyzer(deviceId, SESSION));
  for (const payload of payloads) await client.publishAsync(topic, payload, { qos: 1 });
  await client.endAsync();
}

function deadLettered(name: string, payload: () => Buffer, reason: RegExp): Kind {
  return kind('mqtt', `analyzer: ${name}`, async (ctx) => {
    const id = ctx.id('an');
    await publishAnalyzer(ctx, id, [payload()]);
    await ctx.deadLetters.expect(id, reason);
    const session = await ctx.api(`/devices/${id}/sessions/${SESSION}`);
    expect(session.status, 'no session from bad input').toBe(404);
  });
}

interface SummaryView {
  batches: { received: number; missing: number };
  topAppsByCpu: { app: string }[];
}

async function summaryOf(ctx: AdversarialContext, deviceId: string): Promise<SummaryView> {
  return waitFor(
    async () => {
      const answer = await ctx.api(`/devices/${deviceId}/sessions/${SESSION}`);
      return answer.status === 200 ? (answer.body as SummaryView) : undefined;
    },
    { timeoutMs: 15_000, what: `the summary of ${deviceId}/${SESSION}` },
  );
}

export const analyzerKinds: Kind[] = [
  deadLettered('not a frame', () => Buffer.from('not a frame at all'), /not a fleetpulse frame/),
  deadLettered(
    'a frame of JSON that is not a batch',
    () => framedText('{"hello":"world"}'),
    /analyzer batch/,
  ),
  deadLettered(
    'an unknown schema version',
    () => tampered((w) => ({ ...w, schema: 99 })),
    /analyzer batch.*schema/,
  ),
  deadLettered(
    'columns whose lengths disagree',
    () => tampered((w) => ({ ...w, cpu: w.cpu.slice(1) })),
    /values for \d+ samples/,
  ),
  deadLettered(
    'CPU above 100 %',
    () => tampered((w) => ({ ...w, cpu: [5000, ...w.cpu.slice(1)] })),
    /analyzer batch is invalid/,
  ),
  deadLettered(
    'time running backwards',
    () => tampered((w) => ({ ...w, dt: w.dt.map((d, i) => (i === 2 ? -600 : d)) })),
    /analyzer batch/,
  ),
  deadLettered(
    'the batch of another session than its topic',
    () => encodeFramed(encodeAnalyzerBatch(batch(1, 's-other'))),
    /batch of session s-other published on the topic of session s-1/,
  ),
  deadLettered(
    'a decompression bomb',
    () => framedText(`{"pad":"${' '.repeat(MAX_DECODED_BYTES + 1024)}"}`),
    /decompresses to more than/,
  ),
  kind('mqtt', 'analyzer: apps named __proto__ and constructor are stored as data', async (ctx) => {
    const id = ctx.id('an');
    const wire = encodeAnalyzerBatch(batch());
    // The two busiest apps take the hostile names, so both are among the summary's top apps by CPU.
    const cpuOf = (app: AnalyzerWireBatch['apps'][number]) => {
      let level = 0;
      let total = 0;
      for (const delta of app.cpu) total += level += delta;
      return total;
    };
    const busiest = [...wire.apps].sort((a, b) => cpuOf(b) - cpuOf(a)).map((a) => a.name);
    const renamed = new Map([
      [busiest[0], '__proto__'],
      [busiest[1], 'constructor'],
    ]);
    const hostile = { ...wire, apps: wire.apps.map((a) => ({ ...a, name: renamed.get(a.name) ?? a.name })) };
    await publishAnalyzer(ctx, id, [framedText(JSON.stringify(hostile))]);
    const summary = await summaryOf(ctx, id);
    const apps = summary.topAppsByCpu.map((a) => a.app);
    expect(apps, 'hostile app names kept as names').toEqual(
      expect.arrayContaining(['__proto__', 'constructor']),
    );
    expect(({} as Record<string, unknown>).procs, 'Object.prototype untouched').toBeUndefined();
  }),
  kind('mqtt', 'analyzer: a batch delivered three times counts once', async (ctx) => {
    const id = ctx.id('an');
    const frame = encodeFramed(encodeAnalyzerBatch(batch(1)));
    const next = encodeFramed(encodeAnalyzerBatch(batch(2)));
    await publishAnalyzer(ctx, id, [frame, frame, frame, next]);
    const summary = await waitFor(
      async () => {
        const s = await summaryOf(ctx, id);
        return s.batches.received >= 2 ? s : undefined;
      },
      { timeoutMs: 15_000, what: 'both batches counted' },
    );
    await ctx.t.cloud.idle();
    expect(summary.batches, 'one count per sequence').toEqual({ received: 2, missing: 0 });
    expect((await summaryOf(ctx, id)).batches, 'still once after every copy').toEqual({
      received: 2,
      missing: 0,
    });
    expect(ctx.deadLetters.forDevice(id), 'a redelivery is no error').toEqual([]);
  }),
];
