/**
 * The process environment a Lambda would have, pointed at the local emulators. Set before the
 * handler modules are imported: their AWS clients are built at module scope from these variables.
 */
import { offlineGraceSetting } from '#wiring/devices.ts';
import { buckets, type QueueName, queues, settings, tables } from '#wiring/fleet.ts';
import { type BucketSpec, IOT_DATA_ENDPOINT_ENV, type TableSpec } from '#wiring/resources.ts';
import { type LogLevel, powertoolsLogLevel } from './log.ts';
import type { QueueRef } from './sqs-s3.ts';

export interface LambdaEnvironmentInput {
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsS3Endpoint: string;
  readonly iotDataEndpoint: string;
  readonly queues: Record<QueueName, QueueRef>;
  readonly logLevel: LogLevel;
  readonly offlineGraceSec: number;
}

export function lambdaEnvironment(input: LambdaEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Dummy credentials: the emulators accept any, and real ones must never be used by accident.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: input.sqsS3Endpoint,
    AWS_ENDPOINT_URL_S3: input.sqsS3Endpoint,
    AWS_ENDPOINT_URL_IOT_DATA_PLANE: input.iotDataEndpoint,
    [IOT_DATA_ENDPOINT_ENV]: input.iotDataEndpoint,
    FLEETPULSE_S3_PATH_STYLE: 'true',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: powertoolsLogLevel(input.logLevel),
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  // Declared settings as CDK sets them, unless this process already sets one (tests tune them so).
  for (const setting of settings) env[setting.name] = process.env[setting.name] ?? setting.default;
  env[offlineGraceSetting.name] = String(input.offlineGraceSec);
  for (const spec of Object.values(tables) as TableSpec[]) env[spec.envVar] = spec.localName;
  for (const spec of Object.values(buckets) as BucketSpec[]) env[spec.envVar] = spec.localName;
  for (const name of Object.keys(queues) as QueueName[]) env[queues[name].envVar] = input.queues[name].url;
  return env;
}

/** Variables that would send handler clients elsewhere than the emulators. */
const CONFLICTING = [
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_ENDPOINT_URL',
];

export function applyLambdaEnvironment(env: Record<string, string>): void {
  for (const name of CONFLICTING) delete process.env[name];
  Object.assign(process.env, env);
}
