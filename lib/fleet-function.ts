/**
 * The house Lambda construct: every fleetpulse handler runs the same way (Node.js 22 on Graviton, ESM
 * bundled by the local esbuild, source maps, X-Ray, its own log group with retention), and gets access
 * to a table, bucket or queue in one call that sets the env var the handler reads and the matching grant.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IOT_DATA_ENDPOINT_ENV } from '#wiring/resources.ts';
import { HANDLER_BUNDLING } from './bundling.ts';
import { acknowledge, acknowledgeGrantWildcards } from './nag.ts';

/** Repository root: wiring entries are relative to it, and its package-lock.json pins the bundle. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const SERVICE_NAME = 'fleetpulse';

export interface FleetFunctionProps {
  /** Handler module exporting `handler`; relative paths are resolved against `projectRoot`. */
  readonly entry: string;
  /**
   * What the function does.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Memory in MB, 128..10240.
   * @default 256
   */
  readonly memoryMb?: number;
  /**
   * Timeout in seconds, 1..900.
   * @default 10
   */
  readonly timeoutSec?: number;
  /**
   * Extra environment variables.
   * @default - only the house variables (service name, source maps)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Folder holding package.json and package-lock.json.
   * @default - the repository root
   */
  readonly projectRoot?: string;
}

export type TableAccess = 'read' | 'readWrite';
export type BucketAccess = 'read' | 'readWrite';
export type QueueAccess = 'send' | 'consume';

/** Lambda limits. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;
const MAX_TIMEOUT_SEC = 900;

export class FleetFunction extends Construct {
  readonly lambda: NodejsFunction;
  /** The function timeout, for callers that size queues or retries after it. */
  readonly timeout: Duration;
  /** Env vars set by bind*, to refuse one name bound to two resources. */
  private readonly bound = new Map<string, string>();

  constructor(scope: Construct, id: string, props: FleetFunctionProps) {
    super(scope, id);
    const memoryMb = props.memoryMb ?? 256;
    const timeoutSec = props.timeoutSec ?? 10;
    validate(this.node.path, memoryMb, timeoutSec);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const entry = isAbsolute(props.entry) ? props.entry : resolve(projectRoot, props.entry);
    if (!existsSync(entry)) {
      throw new Error(
        `${this.node.path}: handler entry ${props.entry} does not exist (resolved to ${entry})`,
      );
    }
    this.timeout = Duration.seconds(timeoutSec);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: logs may go to this function's log group only.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    logGroup.grantWrite(role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: resolve(projectRoot, 'package-lock.json'),
      ...(props.description === undefined ? {} : { description: props.description }),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: memoryMb,
      timeout: this.timeout,
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        ...HANDLER_BUNDLING,
        mainFields: [...HANDLER_BUNDLING.mainFields],
        externalModules: [...HANDLER_BUNDLING.externalModules],
      },
    });

    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing needs xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.',
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to Node.js 22: the bundle targets node22 and the handlers are tested on it; a runtime upgrade is a deliberate change.',
    );
  }

  /** Sets `envVar` to the table name and grants read or read/write data access. */
  bindTable(envVar: string, table: ITable, access: TableAccess): void {
    this.setEnvironment(envVar, table.tableName);
    const grant =
      access === 'read' ? table.grantReadData(this.lambda) : table.grantReadWriteData(this.lambda);
    acknowledgeGrantWildcards(
      this,
      grant,
      `Data-plane grant from ITable.grant*Data, scoped to table ${envVar}.`,
    );
  }

  /** Sets `envVar` to the bucket name and grants read or read/write object access. */
  bindBucket(envVar: string, bucket: IBucket, access: BucketAccess): void {
    this.setEnvironment(envVar, bucket.bucketName);
    const grant = access === 'read' ? bucket.grantRead(this.lambda) : bucket.grantReadWrite(this.lambda);
    acknowledgeGrantWildcards(
      this,
      grant,
      `Object-level grant from IBucket.grant* (prefix actions like s3:GetObject*, objects under the bucket ARN), scoped to bucket ${envVar}.`,
    );
  }

  /** Sets `envVar` to the queue URL and grants send or consume. */
  bindQueue(envVar: string, queue: IQueue, access: QueueAccess): void {
    this.setEnvironment(envVar, queue.queueUrl);
    const grant =
      access === 'send' ? queue.grantSendMessages(this.lambda) : queue.grantConsumeMessages(this.lambda);
    acknowledgeGrantWildcards(this, grant, `Grant from IQueue.grant*, scoped to queue ${envVar}.`);
  }

  /**
   * Lets the function publish to `topicFilter` through the IoT data plane at `endpoint`
   * (an https:// URL), which it finds in IOT_DATA_ENDPOINT.
   */
  allowIotPublish(endpoint: string, topicFilter: string): void {
    this.setEnvironment(IOT_DATA_ENDPOINT_ENV, endpoint);
    const grant = Grant.addToPrincipal({
      grantee: this.lambda,
      actions: ['iot:Publish'],
      resourceArns: [
        Stack.of(this).formatArn({ service: 'iot', resource: 'topic', resourceName: topicFilter }),
      ],
    });
    acknowledgeGrantWildcards(
      this,
      grant,
      `Sends commands and notifications to any device: ${topicFilter} is the per-device command topic space and nothing else.`,
    );
  }

  private setEnvironment(name: string, value: string): void {
    const current = this.bound.get(name);
    if (current !== undefined && current !== value) {
      throw new Error(
        `${this.node.path}: environment variable ${name} is bound twice to different resources`,
      );
    }
    this.bound.set(name, value);
    this.lambda.addEnvironment(name, value);
  }
}

function validate(path: string, memoryMb: number, timeoutSec: number): void {
  if (!Number.isInteger(memoryMb) || memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB) {
    throw new Error(
      `${path}: memoryMb must be an integer in ${MIN_MEMORY_MB}..${MAX_MEMORY_MB}, got ${memoryMb}`,
    );
  }
  if (!Number.isInteger(timeoutSec) || timeoutSec < 1 || timeoutSec > MAX_TIMEOUT_SEC) {
    throw new Error(`${path}: timeoutSec must be an integer in 1..${MAX_TIMEOUT_SEC}, got ${timeoutSec}`);
  }
}
