/**
 * The sessions API against the local cloud: batches published through Basic Ingest come back as a
 * device's sessions (most recent first, paged, filtered by time), a session's summary, its batch
 * listing, and each batch decoded (or as the bytes sent) from its raw bundle; bad input is a 400
 * and unknown sessions and batches a 404, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzerBatch } from '#protocol/analyzer.ts';
import { decodeAnalyzerBatch, encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { SimulatedSession } from '#simulator/analyzer/session.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const DEVICE = 'ses-dev-1';
const OTHER_DEVICE = 'ses-dev-2';
const HOUR = 3_600_000;
const BASE = Date.UTC(2024, 6, 1, 8);
const DAY = 24 * HOUR;
/**
 * Sessions across three days, three of them on the first, where the id order is not the time
 * order (s-1 is that day's latest); s-3 lost its third batch on the way.
 */
const SESSIONS: ReadonlyArray<{ id: string; start: number; seqs: number[] }> = [
  { id: 's-1', start: BASE + 4 * HOUR, seqs: [1] },
  { id: 's-2', start: BASE + 2 * HOUR, seqs: [1, 2] },
  { id: 's-3', start: BASE + 3 * HOUR, seqs: [1, 2, 4] },
  { id: 's-4', start: BASE + DAY + HOUR, seqs: [1] },
  { id: 's-5', start: BASE + 2 * DAY, seqs: [1] },
];
const MOST_RECENT_FIRST = ['s-5', 's-4', 's-1', 's-3', 's-2'];

function batchOf(user: number, sessionId: string, sessionStart: number, seq: number): AnalyzerBatch {
  const session = new SimulatedSession({ seed: user * 100 + seq, platform: 'windows' });
  const start = sessionStart + (seq - 1) * 300_000;
  return {
    sessionId,
    user: `CORP\\user${user}`,
    seq,
    intervalSec: 15,
    final: false,
    samples: Array.from({ length: 20 }, (_, i) => session.sample(start + (i + 1) * 15_000, 15)),
  };
}

/** What the cloud received: the batch as the wire form carries it (quantised). */
const sent = new Map<string, { frame: Buffer; rows: AnalyzerBatch }>();

let t: TestCloud;

async function api(path: string): Promise<{ status: number; body: unknown; bytes: Buffer; type: string }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const body = type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined;
  return { status: res.status, body, bytes, type };
}

interface Page {
  items: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

async function allPages(path: string): Promise<{ pages: number; items: Array<Record<string, unknown>> }> {
  const items: Array<Record<string, unknown>> = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api(cursor ? `${path}${sep}cursor=${cursor}` : path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const page = res.body as Page;
    items.push(...page.items);
    pages++;
    cursor = page.nextCursor;
  } while (cursor !== null && pages < 20);
  return { pages, items };
}

beforeAll(async () => {
  t = await startTestCloud();
  const device = await t.deviceClient(DEVICE);
  for (const [index, { id, start, seqs }] of SESSIONS.entries()) {
    const topic = basicIngestTopic(topics.analyzer(DEVICE, id));
    for (const seq of seqs) {
      const wire = encodeAnalyzerBatch(batchOf(index + 1, id, start, seq));
      const frame = encodeFramed(wire);
      sent.set(`${id}/${seq}`, { frame, rows: decodeAnalyzerBatch(wire) });
      await device.publishAsync(topic, frame, { qos: 1 });
    }
  }
  device.end(true);
  const other = await t.deviceClient(OTHER_DEVICE);
  const frame = encodeFramed(encodeAnalyzerBatch(batchOf(9, 'x-1', BASE, 1)));
  await other.publishAsync(basicIngestTopic(topics.analyzer(OTHER_DEVICE, 'x-1')), frame, { qos: 1 });
  other.end(true);
  await t.cloud.idle();
  await waitFor(
    async () => {
      const res = await api(`/devices/${DEVICE}/sessions?limit=100`);
      const items = (res.body as Page | undefined)?.items ?? [];
      const batches = items.reduce((n, s) => n + (s.batches as { received: number }).received, 0);
      return batches === 8 ? true : undefined;
    },
    { timeoutMs: 20_000, what: 'five sessions with eight batches in the API' },
  );
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('GET /devices/{id}/sessions', () => {
  it.each([1, 2, 3, 100])('lists every session once, most recent first, over pages of %i', async (limit) => {
    const { pages, items } = await allPages(`/devices/${DEVICE}/sessions?limit=${limit}`);

    expect(items.map((s) => s.sessionId)).toEqual(MOST_RECENT_FIRST);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(MOST_RECENT_FIRST.length / limit));
  });

  it('pages from the range given', async () => {
    const from = new Date(BASE + 3 * HOUR).toISOString();

    const { items } = await allPages(`/devices/${DEVICE}/sessions?limit=1&from=${from}`);

    expect(items.map((s) => s.sessionId)).toEqual(['s-5', 's-4', 's-1', 's-3']);
  });

  it('gives each row the user, times, state seconds and batch counts', async () => {
    const res = await api(`/devices/${DEVICE}/sessions?limit=5`);
    const row = (res.body as Page).items.find((s) => s.sessionId === 's-3');
    const rows = [1, 2, 4].flatMap((seq) => sent.get(`s-3/${seq}`)?.rows.samples ?? []);

    expect(row).toEqual({
      sessionId: 's-3',
      user: 'CORP\\user3',
      firstSeen: new Date(Math.min(...rows.map((r) => r.t))).toISOString(),
      lastSeen: new Date(Math.max(...rows.map((r) => r.t))).toISOString(),
      ended: false,
      stateSec: expectedStateSec(rows),
      batches: { received: 3, missing: 1 },
    });
  });

  it('keeps the sessions that overlap the time range', async () => {
    // s-2 runs from BASE+2h for 10 minutes, s-3 from BASE+3h for 20, s-1 from BASE+4h: a range
    // across the hour between s-2 and s-3, ending in s-3's first minutes, catches those two only.
    const from = new Date(BASE + 2 * HOUR + 5 * 60_000).toISOString();
    const to = new Date(BASE + 3 * HOUR + 60_000).toISOString();

    const { items } = await allPages(`/devices/${DEVICE}/sessions?limit=1&from=${from}&to=${to}`);

    expect(items.map((s) => s.sessionId)).toEqual(['s-3', 's-2']);
  });

  it("lists only the device's own sessions", async () => {
    const { items } = await allPages(`/devices/${OTHER_DEVICE}/sessions`);

    expect(items.map((s) => s.sessionId)).toEqual(['x-1']);
  });

  it('refuses a bad cursor, another device’s cursor, a bad time and a range that ends before it starts', async () => {
    const page = (await api(`/devices/${DEVICE}/sessions?limit=1`)).body as Page;

    const garbage = await api(`/devices/${DEVICE}/sessions?cursor=garbage`);
    const foreign = await api(`/devices/${OTHER_DEVICE}/sessions?cursor=${page.nextCursor}`);
    const badTime = await api(`/devices/${DEVICE}/sessions?from=yesterday`);
    const backwards = await api(
      `/devices/${DEVICE}/sessions?from=2024-07-02T00:00:00Z&to=2024-07-01T00:00:00Z`,
    );
    const badLimit = await api(`/devices/${DEVICE}/sessions?limit=101`);

    expect(garbage.status).toBe(400);
    expect(garbage.body).toEqual({ message: expect.stringMatching(/invalid cursor/) });
    expect(foreign.status).toBe(400);
    expect(badTime.status).toBe(400);
    expect(badTime.body).toEqual({ message: expect.stringMatching(/invalid query.*from/) });
    expect(backwards.status).toBe(400);
    expect(backwards.body).toEqual({ message: 'invalid query: to is before from' });
    expect(badLimit.status).toBe(400);
  });
});

describe('GET /devices/{id}/sessions/{sessionId}', () => {
  it('is the summary the published batches add up to', async () => {
    const res = await api(`/devices/${DEVICE}/sessions/s-3`);
    const rows = [1, 2, 4].flatMap((seq) => sent.get(`s-3/${seq}`)?.rows.samples ?? []);
    const cpu = rows.map((r) => r.cpuPct);
    const mem = rows.map((r) => r.memPct);
    const body = res.body as Record<string, unknown>;

    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      deviceId: DEVICE,
      sessionId: 's-3',
      user: 'CORP\\user3',
      stateSec: expectedStateSec(rows),
      cpu: { peakPct: Math.max(...cpu), avgPct: round1(sum(cpu) / cpu.length) },
      memory: { peakPct: Math.max(...mem), avgPct: round1(sum(mem) / mem.length) },
      batches: { received: 3, missing: 1 },
    });
    const topFocus = body.topAppsByFocus as Array<{ app: string; focusSec: number }>;
    const focus = new Map<string, number>();
    for (const r of rows) for (const a of r.apps) focus.set(a.app, (focus.get(a.app) ?? 0) + a.focusSec);
    const [app, focusSec] = [...focus].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    expect(topFocus[0]).toEqual({ app, focusSec: Math.round(focusSec) });
    expect((body.topAppsByCpu as unknown[]).length).toBeGreaterThan(0);
  });

  it('is a 404 for an unknown session and a 400 for a malformed id', async () => {
    const unknown = await api(`/devices/${DEVICE}/sessions/no-such-session`);
    const malformed = await api(`/devices/${DEVICE}/sessions/${encodeURIComponent('bad#id')}`);

    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: `session no-such-session of device ${DEVICE} is not known` });
    expect(malformed.status).toBe(400);
  });
});

describe('GET /devices/{id}/sessions/{sessionId}/batches', () => {
  it('lists the batches by sequence with their times and samples, over pages', async () => {
    const { pages, items } = await allPages(`/devices/${DEVICE}/sessions/s-3/batches?limit=2`);

    expect(pages).toBeGreaterThanOrEqual(2);
    expect(items).toEqual(
      [1, 2, 4].map((seq) => {
        const samples = sent.get(`s-3/${seq}`)?.rows.samples ?? [];
        return {
          seq,
          firstSeen: new Date(samples[0]?.t ?? 0).toISOString(),
          lastSeen: new Date(samples[samples.length - 1]?.t ?? 0).toISOString(),
          samples: 20,
        };
      }),
    );
  });

  it('keeps the batches that overlap the time range', async () => {
    // Batch 2 runs 5..10 minutes into the session, batch 4 15..20.
    const from = new Date(BASE + 3 * HOUR + 7 * 60_000).toISOString();
    const to = new Date(BASE + 3 * HOUR + 12 * 60_000).toISOString();

    const { items } = await allPages(`/devices/${DEVICE}/sessions/s-3/batches?from=${from}&to=${to}`);

    expect(items.map((b) => b.seq)).toEqual([2]);
  });

  it('is a 404 for an unknown session and a 400 for a cursor of another session', async () => {
    const page = (await api(`/devices/${DEVICE}/sessions/s-3/batches?limit=1`)).body as Page;

    const unknown = await api(`/devices/${DEVICE}/sessions/nope/batches`);
    const foreign = await api(`/devices/${DEVICE}/sessions/s-2/batches?cursor=${page.nextCursor}`);

    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual({ message: expect.stringMatching(/invalid cursor/) });
  });
});

describe('GET /devices/{id}/sessions/{sessionId}/batches/{seq}', () => {
  it('decodes the raw batch to the rows that were published', async () => {
    const res = await api(`/devices/${DEVICE}/sessions/s-3/batches/2`);
    const published = sent.get('s-3/2');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      deviceId: DEVICE,
      sessionId: 's-3',
      seq: 2,
      frameBytes: published?.frame.byteLength,
      batch: JSON.parse(JSON.stringify(published?.rows)),
    });
  });

  it('with format=raw, answers the frame byte for byte as the device sent it', async () => {
    const res = await api(`/devices/${DEVICE}/sessions/s-2/batches/1?format=raw`);

    expect(res.status).toBe(200);
    expect(res.type).toBe('application/octet-stream');
    expect(res.bytes.equals(sent.get('s-2/1')?.frame ?? Buffer.alloc(0))).toBe(true);
  });

  it('is a 404 for a batch that never came and for an unknown session', async () => {
    const missing = await api(`/devices/${DEVICE}/sessions/s-3/batches/3`);
    const unknown = await api(`/devices/${DEVICE}/sessions/nope/batches/1`);

    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: `batch 3 of session s-3 of device ${DEVICE} is not known` });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: `session nope of device ${DEVICE} is not known` });
  });

  it.each([
    ['not a number', 'abc'],
    ['zero', '0'],
    ['negative', '-1'],
    ['past ten digits', '99999999999'],
    ['huge', '9'.repeat(400)],
    ['fractional', '1.5'],
  ])('refuses a seq that is %s with a 400', async (_, seq) => {
    const res = await api(`/devices/${DEVICE}/sessions/s-3/batches/${seq}`);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.stringMatching(/invalid path.*seq/) });
  });

  it('refuses an unknown format with a 400', async () => {
    const res = await api(`/devices/${DEVICE}/sessions/s-3/batches/1?format=xml`);

    expect(res.status).toBe(400);
  });
});

function expectedStateSec(rows: readonly { state: string }[]): Record<string, number> {
  const sec: Record<string, number> = { active: 0, idle: 0, locked: 0, disconnected: 0 };
  for (const r of rows) sec[r.state] = (sec[r.state] ?? 0) + 15;
  return sec;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const round1 = (n: number) => Math.round(n * 10) / 10;
