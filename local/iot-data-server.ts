/**
 * The IoT data plane's `Publish` operation (`POST /topics/{topic}?qos=N&retain=B`, raw body = payload),
 * enough for `@aws-sdk/client-iot-data-plane`'s PublishCommand to work unchanged against
 * `IOT_DATA_ENDPOINT`. It publishes into the broker as the cloud, bypassing device ACLs, like AWS.
 * Plain HTTP on 127.0.0.1 (the SDK signs requests; the signature is not checked locally).
 * Other AWS APIs the SDK talks to (Lambda's Invoke) can share the port through `routes`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLocal, readBody, sendJson } from './http.ts';
import type { Log } from './log.ts';

export interface IotDataServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Another AWS API served on this port. */
export interface SharedRoute {
  matches(url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export interface IotDataServerOptions {
  readonly port: number;
  readonly log: Log;
  /** @default - the data plane only */
  readonly routes?: readonly SharedRoute[];
  readonly publish: (
    topic: string,
    payload: Buffer,
    options: { qos: 0 | 1; retain: boolean },
  ) => Promise<void>;
}

/** Error bodies carry the type the SDK maps to an exception class. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: IotDataServerOptions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = options.routes?.find((r) => r.matches(url));
  if (route) return route.handle(req, res, url);
  const match = /^\/topics\/([^/]+)$/.exec(url.pathname);
  if (!match?.[1]) {
    return sendError(res, 404, 'ResourceNotFoundException', `No operation for ${req.method} ${url.pathname}`);
  }
  if (req.method !== 'POST') {
    return sendError(
      res,
      405,
      'MethodNotAllowedException',
      `${req.method} is not allowed on ${url.pathname}`,
    );
  }
  const topic = decodeURIComponent(match[1]);
  const qos = Number(url.searchParams.get('qos') ?? '0');
  if (qos !== 0 && qos !== 1) return sendError(res, 400, 'InvalidRequestException', 'qos must be 0 or 1');
  if (topic.includes('+') || topic.includes('#')) {
    return sendError(res, 400, 'InvalidRequestException', 'wildcards are not allowed in a publish topic');
  }
  const payload = await readBody(req);
  await options.publish(topic, payload, { qos, retain: url.searchParams.get('retain') === 'true' });
  options.log.debug(`data plane published ${payload.length} bytes to ${topic}`);
  sendJson(res, 200, {});
}

export async function startIotDataServer(options: IotDataServerOptions): Promise<IotDataServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      options.log.error('IoT data plane request failed', err);
      if (!res.headersSent) sendError(res, 500, 'InternalFailureException', 'Internal failure');
    });
  });
  const port = await listenLocal(server, options.port);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
