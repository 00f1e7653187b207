/**
 * Lambda's `Invoke` operation (`POST /2015-03-31/functions/{FunctionName}/invocations`), enough for
 * `@aws-sdk/client-lambda`'s InvokeCommand to work unchanged against the local cloud: RequestResponse
 * answers with the handler's JSON result, or — like Lambda — with status 200, `X-Amz-Function-Error:
 * Unhandled` and `{errorType, errorMessage}` when the handler throws; Event answers 202 and runs the
 * handler in the background; DryRun answers 204.
 *
 * No authentication: it is served on 127.0.0.1 only (the SDK signs requests; the signature is not
 * checked locally, as on the IoT data plane it shares a port with).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FunctionName, functions } from '#wiring/fleet.ts';
import { BodyTooLargeError, readBody, sendJson } from './http.ts';
import { LOCAL_ACCOUNT_ID, lambdaFunctionName } from './lambda-context.ts';
import { HandlerTimeoutError } from './lambda-runtime.ts';
import type { Log } from './log.ts';

/** Lambda's payload limits: 6 MB synchronous, 1 MB asynchronous. */
const EVENT_PAYLOAD_MAX_BYTES = 1024 * 1024;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LambdaInvokeApi {
  matches(url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Resolves when every Event invocation started so far has settled. */
  idle(): Promise<void>;
}

export interface LambdaInvokeApiOptions {
  readonly region: string;
  readonly log: Log;
  readonly invoke: (name: FunctionName, event: unknown) => Promise<unknown>;
}

/**
 * The wiring function a FunctionName parameter names: `fleetpulse-heartbeat`, its ARN, a partial ARN
 * (`000000000000:function:fleetpulse-heartbeat`) or `name:$LATEST`. Undefined when there is none.
 */
export function resolveFunctionName(functionName: string): FunctionName | undefined {
  const parts = functionName.split(':');
  let name: string | undefined;
  let qualifier: string | undefined;
  if (parts[0] === 'arn') [name, qualifier] = [parts[6], parts[7]];
  else if (parts[1] === 'function') [name, qualifier] = [parts[2], parts[3]];
  else [name, qualifier] = [parts[0], parts[1]];
  if (qualifier !== undefined && qualifier !== '$LATEST') return undefined;
  return (Object.keys(functions) as FunctionName[]).find((n) => lambdaFunctionName(n) === name);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { Type: 'User', message }, { 'x-amzn-errortype': type });
}

/** The body Lambda returns for an unhandled error in a Node.js function. */
function functionErrorBody(err: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (err instanceof HandlerTimeoutError) {
    return { errorType: 'Sandbox.Timedout', errorMessage: err.message, trace: [] };
  }
  const error = err instanceof Error ? err : new Error(String(err));
  return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
}

export function createLambdaInvokeApi(options: LambdaInvokeApiOptions): LambdaInvokeApi {
  const { log } = options;
  const inFlight = new Set<Promise<void>>();

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);
    const rawName = decodeURIComponent(INVOKE_PATH.exec(url.pathname)?.[1] ?? '');
    if (req.method !== 'POST') {
      return sendError(res, 405, 'MethodNotAllowedException', `${req.method} is not allowed on Invoke`);
    }
    const qualifier = url.searchParams.get('Qualifier');
    const name = resolveFunctionName(qualifier ? `${rawName}:${qualifier}` : rawName);
    if (!name) {
      const arn = `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${rawName}`;
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
    }
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      return sendError(res, 400, 'InvalidParameterValueException', `bad invocation type ${invocationType}`);
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return sendError(res, 413, 'RequestTooLargeException', err.message);
      throw err;
    }
    if (invocationType === 'Event' && body.length > EVENT_PAYLOAD_MAX_BYTES) {
      return sendError(res, 413, 'RequestTooLargeException', 'Request must be smaller than 1048576 bytes');
    }
    let event: unknown;
    try {
      // An empty payload reaches the handler as {} (what the console and CLI send).
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendError(
        res,
        400,
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(err as Error).message}`,
      );
    }

    if (invocationType === 'DryRun') {
      res.writeHead(204);
      return void res.end();
    }
    if (invocationType === 'Event') {
      const work = options.invoke(name, event).then(
        () => undefined,
        (err: unknown) => log.warn(`Event invocation of ${name} failed: ${(err as Error).message}`),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      res.writeHead(202, { 'content-length': '0' });
      return void res.end();
    }

    const headers = { 'x-amz-executed-version': '$LATEST' };
    try {
      const result = await options.invoke(name, event);
      // A handler that returns nothing answers `null`, as in Lambda.
      sendJson(res, 200, result ?? null, headers);
    } catch (err) {
      log.debug(`function ${name} failed on Invoke: ${(err as Error).message}`);
      sendJson(res, 200, functionErrorBody(err), { ...headers, 'x-amz-function-error': 'Unhandled' });
    }
  }

  return {
    matches: (url) => INVOKE_PATH.test(url.pathname),
    handle,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
