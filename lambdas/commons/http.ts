/**
 * HTTP edge of the operator API: the one place where named errors become HTTP responses
 * (rendered by middy's http-error-handler) and where query/path input is validated with zod.
 */
import type { MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  SchemaError,
} from './errors.ts';
import { logger } from './powertools.ts';

/** Largest request body the operator API accepts; its requests are small (API Gateway's own cap is 10 MB). */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
export const PAYLOAD_TOO_LARGE_MESSAGE = 'Request Entity Too Large';

const STATUS_BY_ERROR: ReadonlyArray<[new (...args: never[]) => Error, number]> = [
  [BadRequestError, 400],
  [SchemaError, 400],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
];

/**
 * AWS SDK errors (by name) that the request caused or that say "try again": a store refusing a key
 * built from request input is the caller's 400, throttling a 429, a timeout a 503 — never a 500.
 * Their messages name store internals, so the caller gets a fixed one; the log keeps the original.
 */
const STATUS_BY_AWS_ERROR: Readonly<Record<string, [number, string]>> = {
  ValidationException: [400, 'invalid request: rejected by the store'],
  SerializationException: [400, 'invalid request: rejected by the store'],
  ProvisionedThroughputExceededException: [429, 'Too Many Requests'],
  ThrottlingException: [429, 'Too Many Requests'],
  RequestLimitExceeded: [429, 'Too Many Requests'],
  TimeoutError: [503, 'Service Unavailable'],
};

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(JSON.stringify({ message })), { statusCode, expose: true });
}

/** Maps domain errors to exposed HTTP errors with a JSON body; anything else becomes a logged 500. */
function domainErrorsToHttp(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const err = request.error;
      const mapping = STATUS_BY_ERROR.find(([type]) => err instanceof type);
      if (mapping) {
        request.error = httpError(mapping[1], err?.message ?? '');
        return;
      }
      const aws =
        err && Object.hasOwn(STATUS_BY_AWS_ERROR, err.name) ? STATUS_BY_AWS_ERROR[err.name] : undefined;
      if (aws) {
        logger.warn('store refused an API request', { error: err as Error });
        request.error = httpError(aws[0], aws[1]);
        return;
      }
      logger.error('unhandled API error', { error: err as Error });
    },
  };
}

/** Refuses a body over `maxBytes` (decoded size) before any route runs. */
export function bodyLimit(
  maxBytes = MAX_REQUEST_BODY_BYTES,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    before: async ({ event }) => {
      if (event.body === undefined) return;
      const bytes = event.isBase64Encoded
        ? Buffer.byteLength(event.body, 'base64')
        : Buffer.byteLength(event.body, 'utf8');
      if (bytes > maxBytes) throw new PayloadTooLargeError(PAYLOAD_TOO_LARGE_MESSAGE);
    },
  };
}

export function httpErrors(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>[] {
  return [
    httpErrorHandler({
      logger: false,
      fallbackMessage: JSON.stringify({ message: 'Internal Server Error' }),
    }),
    domainErrorsToHttp(),
  ];
}

export function json(body: unknown, statusCode = 200): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Validates request input (query string, path parameters) into a typed value, or throws a 400. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw new BadRequestError(`invalid ${what}: ${formatZodIssues(parsed.error, { root: what })}`);
}
