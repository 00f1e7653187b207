/**
 * The middleware every handler wears, in one place: Powertools logger context, metrics flush and
 * tracing, in front of the handler body. Handlers stay thin: `export const handler = withPowertools(fn)`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './powertools.ts';

export function withPowertools<E, R>(fn: (event: E, context: Context) => Promise<R>) {
  const handler = middy(fn);
  if (tracer !== undefined) handler.use(captureLambdaHandler(tracer));
  return handler.use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
}
