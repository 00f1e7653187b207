/** API Gateway HTTP API route matching for the `api` triggers of the wiring ("GET /devices/{id}"). */
import { type FunctionName, functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';

export interface Route {
  readonly functionName: FunctionName;
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly string[];
}

export interface RouteMatch {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

const splitPath = (path: string): string[] => path.split('/').filter((s) => s !== '');
const isParam = (segment: string): boolean => segment.startsWith('{') && segment.endsWith('}');

export function apiRoutes(): Route[] {
  const routes: Route[] = [];
  for (const [name, spec] of Object.entries(functions) as Array<[FunctionName, FunctionSpec]>) {
    if (spec.trigger.kind !== 'api') continue;
    for (const routeKey of spec.trigger.routes) {
      const [method, path] = routeKey.split(' ');
      if (!method || !path) throw new Error(`function ${name}: malformed route "${routeKey}"`);
      routes.push({ functionName: name, routeKey, method: method.toUpperCase(), segments: splitPath(path) });
    }
  }
  // Like API Gateway, the most specific route wins: literal segments before {params}, {proxy+} last.
  const weight = (r: Route): number[] =>
    r.segments.map((s) => (s.endsWith('+}') ? 2 : isParam(s) ? 1 : 0) as number);
  return routes.sort((a, b) => {
    const wa = weight(a);
    const wb = weight(b);
    for (let i = 0; i < Math.max(wa.length, wb.length); i++) {
      const diff = (wa[i] ?? -1) - (wb[i] ?? -1);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch | undefined {
  let segments: string[];
  try {
    segments = splitPath(path).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  for (const route of routes) {
    if (route.method !== method.toUpperCase() && route.method !== 'ANY') continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < route.segments.length && ok; i++) {
      const pattern = route.segments[i] as string;
      if (pattern.endsWith('+}')) {
        const rest = segments.slice(i);
        if (rest.length === 0) ok = false;
        else params[pattern.slice(1, -2)] = rest.join('/');
        if (ok) return { route, pathParameters: params };
      }
      const segment = segments[i];
      if (segment === undefined) ok = false;
      else if (isParam(pattern)) params[pattern.slice(1, -1)] = segment;
      else if (pattern !== segment) ok = false;
    }
    if (ok && segments.length === route.segments.length) return { route, pathParameters: params };
  }
  return undefined;
}
