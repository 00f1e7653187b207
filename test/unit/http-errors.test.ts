import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#lambdas/commons/errors.ts';
import { bodyLimit, httpErrors } from '#lambdas/commons/http.ts';

const named = (name: string): Error => Object.assign(new Error(`${name}: store internals`), { name });

function handlerThrowing(err: Error) {
  return middy(async (_event: APIGatewayProxyEventV2) => {
    throw err;
  })
    .use(httpErrors())
    .use(bodyLimit(16));
}

const event = (body?: string, isBase64Encoded = false) =>
  ({
    routeKey: 'GET /devices',
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  }) as APIGatewayProxyEventV2;

describe('API error mapping', () => {
  it.each([
    ['ValidationException', 400, 'invalid request: rejected by the store'],
    ['ThrottlingException', 429, 'Too Many Requests'],
    ['ProvisionedThroughputExceededException', 429, 'Too Many Requests'],
    ['TimeoutError', 503, 'Service Unavailable'],
  ])('maps the SDK error %s to %i without leaking its message', async (name, status, message) => {
    const result = await handlerThrowing(named(name))(event(), {} as Context);

    expect(result).toMatchObject({ statusCode: status });
    expect(JSON.parse((result as { body: string }).body)).toEqual({ message });
  });

  it('keeps an unknown error a 500', async () => {
    const result = await handlerThrowing(named('SomethingElse'))(event(), {} as Context);

    expect(result).toMatchObject({ statusCode: 500 });
  });

  it('answers 413 for a body over the limit, counting base64 bodies decoded', async () => {
    const ok = handlerThrowing(new BadRequestError('reached the route'));

    const over = await ok(event('x'.repeat(17)), {} as Context);
    const base64Within = await ok(event(Buffer.alloc(16).toString('base64'), true), {} as Context);

    expect(over).toMatchObject({ statusCode: 413 });
    expect(JSON.parse((over as { body: string }).body)).toEqual({ message: 'Request Entity Too Large' });
    expect(base64Within).toMatchObject({ statusCode: 400 });
  });
});
