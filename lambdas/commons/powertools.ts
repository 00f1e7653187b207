import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'fleetpulse';

export const logger = new Logger({ serviceName });
// Metrics' own warnings go through the logger, so they honour POWERTOOLS_LOG_LEVEL.
export const metrics = new Metrics({ serviceName, namespace: 'FleetPulse', logger });
export const tracer = new Tracer({ serviceName });
