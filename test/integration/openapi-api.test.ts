/**
 * GET /openapi.json from the local cloud, and the document held against the real answers of the
 * routes it describes: a device is heard (heartbeat with sessions, analyzer status, labels-free),
 * sends a full inventory report and a diff, and an analyzer batch; then every existing read route's
 * 200 and its 400/404 answers must match the schema the document gives for that route and status.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#lambdas/openapi/document.ts';
import { apiRouteDocs } from '#lambdas/openapi/route-docs.ts';
import { encodeAnalyzerBatch } from '#protocol/analyzer-codec.ts';
import { encodeFramed } from '#protocol/encoding.ts';
import { basicIngestTopic, topics } from '#protocol/topics.ts';
import { analyzerBatch, analyzerSample } from '../support/analyzer-fixtures.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { type ConformanceChecker, conformanceChecker } from '../support/openapi-conformance.ts';
import { waitFor } from '../support/wait.ts';

const DEVICE = 'oas-dev-1';
const SESSION = 'oas-s1';
const T0 = Date.UTC(2026, 10, 1, 9);

let t: TestCloud;
let served: { status: number; body: unknown };
let checker: ConformanceChecker;

async function api(path: string, token = t.endpoints.apiToken): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    body: type.startsWith('application/json') ? await res.json() : await res.text(),
  };
}

const report = (seq: number, kind: 'full' | 'diff') => ({
  schema: 1,
  epoch: 'oas-epoch',
  seq,
  collectedAt: T0 + seq * 60_000,
  agentVersion: '9.9.9',
  errors: [],
  kind,
  ...(kind === 'full'
    ? {
        sections: {
          os: { name: 'Debian', version: '12' },
          software: { 'pkg:curl': { name: 'curl', version: '7.88' } },
        },
      }
    : {
        baseSeq: seq - 1,
        patches: { software: { 'pkg:curl': { version: '8.0' }, 'pkg:jq': { name: 'jq' } } },
      }),
});

beforeAll(async () => {
  t = await startTestCloud();
  const device = await t.deviceClient(DEVICE);
  const heartbeat = validHeartbeat({
    sessions: [{ id: SESSION, user: 'CORP\\ada', state: 'active' }],
    analyzer: { sessions: 1, restarts: 0 },
    hostname: 'oas-host',
  });
  await device.publishAsync(topics.heartbeat(DEVICE), JSON.stringify(heartbeat), { qos: 1 });
  await device.publishAsync(topics.report(DEVICE), encodeFramed(report(1, 'full')), { qos: 1 });
  await device.publishAsync(topics.report(DEVICE), encodeFramed(report(2, 'diff')), { qos: 1 });
  const batch = analyzerBatch(SESSION, 1, [
    analyzerSample(T0),
    analyzerSample(T0 + 15_000, { state: 'idle' }),
  ]);
  await device.publishAsync(
    basicIngestTopic(topics.analyzer(DEVICE, SESSION)),
    encodeFramed(encodeAnalyzerBatch(batch)),
    { qos: 1 },
  );
  await t.cloud.idle();
  await waitFor(
    async () =>
      (await api(`/devices/${DEVICE}`)).status === 200 &&
      (await api(`/devices/${DEVICE}/inventory`)).status === 200 &&
      (await api(`/devices/${DEVICE}/sessions/${SESSION}`)).status === 200,
    { timeoutMs: 20_000, what: 'the device, its inventory and its session in the API' },
  );
  served = await api('/openapi.json');
  checker = conformanceChecker(served.body as object);
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('GET /openapi.json', () => {
  it('serves the generated document, valid OpenAPI 3.1', async () => {
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(apiRouteDocs))));
    expect(await new Validator().validate(structuredClone(served.body) as Record<string, unknown>)).toEqual({
      valid: true,
    });
    expect(checker.errors('GET /openapi.json', 200, served.body)).toEqual([]);
  });

  it('asks for the token like every route, with the documented error body', async () => {
    const res = await api('/openapi.json', 'wrong-token');

    expect(res.status).toBe(401);
    expect(checker.errors('GET /openapi.json', 401, res.body)).toEqual([]);
  });
});

describe('the existing routes answer what the document says', () => {
  const B = `/devices/${DEVICE}`;
  const S = `${B}/sessions/${SESSION}`;
  const cases: ReadonlyArray<readonly [routeKey: string, path: string, status: number]> = [
    ['GET /devices', '/devices?limit=5', 200],
    ['GET /devices', '/devices?status=online', 200],
    ['GET /devices', '/devices?limit=0', 400],
    ['GET /devices/{id}', B, 200],
    ['GET /devices/{id}', '/devices/never-seen', 404],
    ['GET /devices/{id}', '/devices/not%20an%20id', 400],
    ['GET /devices/{id}/inventory', `${B}/inventory`, 200],
    ['GET /devices/{id}/inventory', `${B}/inventory?sections=os`, 200],
    ['GET /devices/{id}/inventory', `${B}/inventory?sections=nope`, 400],
    ['GET /devices/{id}/inventory', '/devices/never-seen/inventory', 404],
    ['GET /devices/{id}/inventory/changes', `${B}/inventory/changes?limit=1`, 200],
    ['GET /devices/{id}/inventory/changes', `${B}/inventory/changes`, 200],
    ['GET /devices/{id}/sessions', `${B}/sessions`, 200],
    ['GET /devices/{id}/sessions/{sessionId}', S, 200],
    ['GET /devices/{id}/sessions/{sessionId}', `${B}/sessions/never`, 404],
    ['GET /devices/{id}/sessions/{sessionId}/batches', `${S}/batches`, 200],
    ['GET /devices/{id}/sessions/{sessionId}/batches/{seq}', `${S}/batches/1`, 200],
    ['GET /devices/{id}/sessions/{sessionId}/batches/{seq}', `${S}/batches/7`, 404],
  ];

  it.each(cases)('%s: %s → %i', async (routeKey, path, status) => {
    const res = await api(path);

    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(checker.errors(routeKey, status, res.body)).toEqual([]);
  });

  it('would notice an answer that drifted from the document', async () => {
    const device = (await api(B)).body as Record<string, unknown>;

    expect(checker.errors('GET /devices/{id}', 200, { ...device, undocumented: 1 })).not.toEqual([]);
    expect(checker.errors('GET /devices/{id}', 200, { ...device, status: 'asleep' })).not.toEqual([]);
  });

  it('exercises the routes with the data a heard device has', async () => {
    const changes = (await api(`${B}/inventory/changes`)).body as { changes: unknown[] };
    const device = (await api(B)).body as Record<string, unknown>;

    expect(changes.changes).toHaveLength(2);
    expect(device).toMatchObject({
      hostname: 'oas-host',
      analyzer: { sessions: 1 },
      sessions: [{ id: SESSION }],
    });
  });
});
