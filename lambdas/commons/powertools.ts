import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'fleetpulse';

export const logger = new Logger({ serviceName });

/**
 * Metrics' own warnings go through the logger. The local cloud runs every handler in one process,
 * so concurrent invocations share one metrics buffer and one may flush another's metrics, leaving
 * it "empty"; with metrics disabled there (POWERTOOLS_METRICS_DISABLED) that warning is noise.
 */
const metricsLogger = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.info(message),
  error: (message: string) => logger.error(message),
  warn: (message: string) => {
    if (process.env.POWERTOOLS_METRICS_DISABLED === 'true' && message.startsWith('No application metrics'))
      return;
    logger.warn(message);
  },
};

export const metrics = new Metrics({ serviceName, namespace: 'FleetPulse', logger: metricsLogger });

/**
 * The Tracer's X-Ray SDK installs async hooks as it loads, and those tax every await of every
 * invocation even with tracing disabled (about a tenth of a handler's CPU in the local cloud's
 * profiles). So it is loaded only where tracing is on: in AWS, where lib/ turns X-Ray on.
 */
export const tracer: Tracer | undefined =
  process.env.POWERTOOLS_TRACE_ENABLED === 'false'
    ? undefined
    : new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName });

/** The client, instrumented for X-Ray when tracing is on. */
export function traced<C>(client: C): C {
  return tracer === undefined ? client : tracer.captureAWSv3Client(client);
}
