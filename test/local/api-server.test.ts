import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';

describe('local operator API (API Gateway HTTP API, payload 2.0)', () => {
  let t: TestCloud;
  const events: APIGatewayProxyEventV2[] = [];
  /** Which wiring function each request reached. */
  const invoked: string[] = [];
  const stub = (name: string) => async (event: APIGatewayProxyEventV2) => {
    invoked.push(name);
    events.push(event);
    if (event.pathParameters?.id === 'explode') throw new Error('boom');
    if (event.rawPath === '/devices') return { items: [] };
    return {
      statusCode: 202,
      headers: { 'X-Device': event.pathParameters?.id ?? '' },
      cookies: ['a=1'],
      body: JSON.stringify({ id: event.pathParameters?.id }),
    };
  };
  const auth = () => ({ authorization: `Bearer ${t.endpoints.apiToken}` });

  beforeAll(async () => {
    t = await startTestCloud({
      handlersOverride: stubHandlers({
        devicesApi: stub('devicesApi'),
        inventoryApi: stub('inventoryApi'),
      }),
    });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('refuses a request without a token with 401 Unauthorized', async () => {
    const res = await fetch(`${t.endpoints.apiUrl}/devices`);

    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
  });

  it('refuses a request with a wrong token with 401 Unauthorized', async () => {
    const res = await fetch(`${t.endpoints.apiUrl}/devices`, { headers: { authorization: 'Bearer nope' } });

    expect(res.status).toBe(401);
    expect(events).toHaveLength(0);
  });

  it('answers 404 Not Found for a route the wiring does not declare', async () => {
    const unknownPath = await fetch(`${t.endpoints.apiUrl}/nothing-here`, { headers: auth() });
    const unknownMethod = await fetch(`${t.endpoints.apiUrl}/devices`, { method: 'DELETE', headers: auth() });

    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toEqual({ message: 'Not Found' });
    expect(unknownMethod.status).toBe(404);
  });

  it('invokes the route handler with a v2 event and maps its structured response', async () => {
    const res = await fetch(`${t.endpoints.apiUrl}/devices/dev-x1/inventory?section=os&section=hw&x=1`, {
      headers: { ...auth(), 'X-Trace': 'abc' },
    });

    expect(res.status).toBe(202);
    expect(res.headers.get('x-device')).toBe('dev-x1');
    expect(res.headers.get('set-cookie')).toBe('a=1');
    expect(await res.json()).toEqual({ id: 'dev-x1' });
    const event = events.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /devices/{id}/inventory',
      rawPath: '/devices/dev-x1/inventory',
      rawQueryString: 'section=os&section=hw&x=1',
      queryStringParameters: { section: 'os,hw', x: '1' },
      pathParameters: { id: 'dev-x1' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /devices/{id}/inventory',
        stage: '$default',
        http: { method: 'GET', path: '/devices/dev-x1/inventory', sourceIp: '127.0.0.1' },
      },
    });
    expect(event?.headers['x-trace']).toBe('abc');
  });

  it('sends each route to the function its feature wiring declares', async () => {
    invoked.length = 0;

    await fetch(`${t.endpoints.apiUrl}/devices/dev-x2/inventory/changes`, { headers: auth() });
    await fetch(`${t.endpoints.apiUrl}/devices/dev-x2`, { headers: auth() });
    await fetch(`${t.endpoints.apiUrl}/devices`, { headers: auth() });

    expect(invoked).toEqual(['inventoryApi', 'devicesApi', 'devicesApi']);
  });

  it('returns a non-structured handler result as 200 JSON', async () => {
    const res = await fetch(`${t.endpoints.apiUrl}/devices`, { headers: auth() });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ items: [] });
  });

  it('answers 500 Internal Server Error when the handler throws, and keeps serving', async () => {
    const failed = await fetch(`${t.endpoints.apiUrl}/devices/explode`, { headers: auth() });
    const next = await fetch(`${t.endpoints.apiUrl}/devices`, { headers: auth() });

    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    expect(next.status).toBe(200);
  });

  it('keeps the token across restarts (it lives in <dataDir>/api-token)', async () => {
    const before = t.endpoints.apiToken;

    await t.restart();

    expect(t.endpoints.apiToken).toBe(before);
    const res = await fetch(`${t.endpoints.apiUrl}/devices`, { headers: auth() });
    expect(res.status).toBe(200);
  });
});
