/**
 * HTTP edge of the operator API: the one place where named errors become HTTP responses
 * (rendered by middy's http-error-handler) and where query/path input is validated with zod.
 */
import type { MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { BadRequestError, NotFoundError, SchemaError } from './errors.ts';
import { logger } from './powertools.ts';

const STATUS_BY_ERROR: ReadonlyArray<[new (...args: never[]) => Error, number]> = [
  [BadRequestError, 400],
  [SchemaError, 400],
  [NotFoundError, 404],
];

/** Maps domain errors to exposed HTTP errors with a JSON body; anything else becomes a logged 500. */
function domainErrorsToHttp(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const err = request.error;
      const mapping = STATUS_BY_ERROR.find(([type]) => err instanceof type);
      if (mapping) {
        request.error = Object.assign(new Error(JSON.stringify({ message: err?.message })), {
          statusCode: mapping[1],
          expose: true,
        });
        return;
      }
      logger.error('unhandled API error', { error: err as Error });
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
  const reasons = parsed.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
  throw new BadRequestError(`invalid ${what}: ${reasons}`);
}

/** Opaque pagination cursors: base64url JSON, validated on the way back in. */
export const cursor = {
  encode: (value: Record<string, unknown>): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url'),
  decode: <S extends z.ZodType>(schema: S, raw: string): z.infer<S> => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
      throw new BadRequestError('invalid cursor: not a cursor returned by this API');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new BadRequestError('invalid cursor: not a cursor returned by this API');
    return parsed.data;
  },
};
