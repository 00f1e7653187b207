import { describe, expect, it } from 'vitest';
import { apiRoutes, matchRoute } from '#local/api-routes.ts';
import { isAuthorized } from '#local/api-token.ts';
import { workerPools } from '#local/lambda-workers.ts';
import { LifecycleVersions } from '#local/lifecycle.ts';
import { failedMessageIds } from '#local/queue-poller.ts';
import { parseBasicIngest } from '#protocol/topics.ts';
import { functions } from '#wiring/fleet.ts';

describe('SQS partial batch responses', () => {
  const ids = ['m1', 'm2', 'm3'];

  it('fails only the reported items', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ids)).toEqual(new Set(['m2']));
  });

  it('treats a result without batchItemFailures as full success', () => {
    expect(failedMessageIds(undefined, ids)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [] }, ids)).toEqual(new Set());
  });

  it('fails the whole batch when an itemIdentifier is unknown or missing, as Lambda does', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'other' }] }, ids)).toEqual(new Set(ids));
    expect(failedMessageIds({ batchItemFailures: [{}] }, ids)).toEqual(new Set(ids));
    expect(failedMessageIds({ batchItemFailures: 'm1' }, ids)).toEqual(new Set(ids));
  });
});

describe('API route matching', () => {
  const routes = apiRoutes();

  it('binds {id} path parameters and prefers the exact route', () => {
    expect(matchRoute(routes, 'GET', '/devices')?.route.routeKey).toBe('GET /devices');
    expect(matchRoute(routes, 'GET', '/devices/a%20b/inventory')).toMatchObject({
      route: { routeKey: 'GET /devices/{id}/inventory' },
      pathParameters: { id: 'a b' },
    });
  });

  it('matches nothing for other methods, extra segments or bad encodings', () => {
    expect(matchRoute(routes, 'POST', '/devices/x')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/devices/x/y/z/w')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/devices/%E0%A4%A')).toBeUndefined();
  });
});

describe('bearer token check', () => {
  it('accepts exactly "Bearer <token>"', () => {
    expect(isAuthorized('Bearer s3cret', 's3cret')).toBe(true);
    expect(isAuthorized('Bearer s3cre', 's3cret')).toBe(false);
    expect(isAuthorized('s3cret', 's3cret')).toBe(false);
    expect(isAuthorized(undefined, 's3cret')).toBe(false);
  });
});

describe('Basic Ingest topics', () => {
  it('splits $aws/rules/<rule>/<topic>', () => {
    expect(parseBasicIngest('$aws/rules/r1/dt/fleet/d/heartbeat')).toEqual({
      ruleName: 'r1',
      topic: 'dt/fleet/d/heartbeat',
    });
    expect(parseBasicIngest('$aws/rules/r1')).toBeUndefined();
    expect(parseBasicIngest('dt/fleet/d/heartbeat')).toBeUndefined();
  });
});

describe('lifecycle version numbers', () => {
  it('increase strictly per client id, even within one millisecond', () => {
    const versions = new LifecycleVersions();
    const a = [versions.next('d1'), versions.next('d1'), versions.next('d1')];
    expect(a[1]).toBeGreaterThan(a[0] ?? 0);
    expect(a[2]).toBeGreaterThan(a[1] ?? 0);
  });
});

describe('handler worker pools', () => {
  it('runs the API functions in workers that no ingest function shares', () => {
    const pools = workerPools(functions, { count: 2 });
    const apiPools = pools.filter((pool) =>
      pool.names.some((name) => functions[name].trigger.kind === 'api'),
    );
    expect(apiPools).toHaveLength(1);
    expect(apiPools[0]?.names.every((name) => functions[name].trigger.kind === 'api')).toBe(true);
    expect(apiPools[0]?.count).toBe(1);
    expect(pools.flatMap((pool) => pool.names).sort()).toEqual(Object.keys(functions).sort());
    expect(pools.find((pool) => !apiPools.includes(pool))?.count).toBe(2);
  });
});
