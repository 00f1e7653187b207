/**
 * The operator API as API Gateway HTTP API serves it: bearer-token auth (a stand-in for the JWT/IAM
 * authorizer), the wiring's routes, payload format 2.0 events, and v2 response mapping. Unknown
 * routes → 404 {"message":"Not Found"}; a body over API Gateway's 10 MB → 413 {"message":"Request Entity
 * Too Large"} without invoking; a throwing handler → 500 {"message":"Internal Server Error"}.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiRoutes, matchRoute, type RouteMatch } from './api-routes.ts';
import { isAuthorized } from './api-token.ts';
import { BodyTooLargeError, closeServer, listenLocal, plainIp, readBody, sendJson } from './http.ts';
import { LOCAL_ACCOUNT_ID } from './lambda-context.ts';
import type { LambdaRuntime } from './lambda-runtime.ts';
import type { Log } from './log.ts';

export interface ApiServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface ApiServerOptions {
  readonly port: number;
  readonly token: string;
  readonly runtime: LambdaRuntime;
  readonly log: Log;
}

const API_ID = 'local';
/** API Gateway HTTP API's payload limit (the handler applies the API's own, smaller one). */
const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    /[/+]json$/.test(type) ||
    /[/+]xml$/.test(type) ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded'
  );
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time format. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

export function buildHttpApiEvent(
  req: IncomingMessage,
  url: URL,
  match: RouteMatch,
  body: Buffer,
): APIGatewayProxyEventV2 {
  // Null-prototype maps: a query key such as `constructor` or `__proto__` is an ordinary key.
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  const query: Record<string, string> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    query[key] = Object.hasOwn(query, key) ? `${query[key]},${value}` : value;
  }
  const now = new Date();
  const binary =
    body.length > 0 && (!isTextContent(req.headers['content-type']) || !!req.headers['content-encoding']);
  const domainName = req.headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: plainIp(req.socket.remoteAddress) ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.route.routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(binary ? 'base64' : 'utf8') } : {}),
    isBase64Encoded: binary,
  };
}

/** Writes a handler result the way API Gateway maps payload format 2.0 responses. */
export function writeHttpApiResult(res: ServerResponse, result: unknown): void {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const structured = result as APIGatewayProxyStructuredResultV2;
    if (typeof structured.statusCode !== 'number') throw new TypeError('statusCode must be a number');
    const rawBody = structured.body as unknown;
    const text = typeof rawBody === 'string' ? rawBody : rawBody === undefined ? '' : JSON.stringify(rawBody);
    const payload = structured.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
    if (!headers['content-type'] && payload.length > 0) headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
    res.writeHead(structured.statusCode, headers);
    res.end(payload);
    return;
  }
  const text =
    result === undefined || result === null
      ? ''
      : typeof result === 'string'
        ? result
        : JSON.stringify(result);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const routes = apiRoutes();
  const { log } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!isAuthorized(req.headers.authorization, options.token)) {
      return sendJson(res, 401, { message: 'Unauthorized' });
    }
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!match) return sendJson(res, 404, { message: 'Not Found' });
    let body: Buffer;
    try {
      body = await readBody(req, API_GATEWAY_MAX_BODY_BYTES);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      // The rest of the body is not read: close the connection once the answer is out.
      return sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
    }
    const event = buildHttpApiEvent(req, url, match, body);
    let result: unknown;
    try {
      result = await options.runtime.invoke(match.route.functionName, event);
    } catch (err) {
      log.error(`${match.route.routeKey} failed`, err);
      return sendJson(res, 500, { message: 'Internal Server Error' });
    }
    try {
      writeHttpApiResult(res, result);
    } catch (err) {
      log.error(`${match.route.routeKey} returned a malformed response`, err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    }
    log.debug(`${req.method} ${url.pathname} → ${res.statusCode}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('API request failed', err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    });
  });
  const port = await listenLocal(server, options.port);
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
