import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'fleetpulse';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'FleetPulse' });
export const tracer = new Tracer({ serviceName });
