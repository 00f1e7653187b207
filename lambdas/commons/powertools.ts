import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

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
/*
 * No Powertools Tracer: the X-Ray SDK under it (in maintenance since February 2026) added ~115 KB to
 * every bundle and an async hook that made each `await` about ten times slower (bench/bundles.ts
 * notes). Lambda's active tracing (lib/fleet-function.ts) still records every invocation.
 */
