/**
 * One region's fleetpulse backend, composed from the wiring: what exists and who may touch it is
 * declared in wiring/, each concern is built by its own construct, and this stack only connects them.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  buckets as wiredBuckets,
  functions as wiredFunctions,
  queues as wiredQueues,
  tables as wiredTables,
} from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import type { BucketSpec, QueueSpec, TableSpec } from '#wiring/resources.ts';
import { AnalyzerSql } from './analyzer-sql.ts';
import { OperatorApi } from './api.ts';
import { Archive } from './archive.ts';
import { FleetFunctions } from './functions.ts';
import { DeviceIdentity } from './identity.ts';
import { Ingest } from './ingest.ts';
import { Observability } from './observability.ts';
import { Queues } from './queues.ts';
import { StateTables } from './state.ts';

export interface FleetPulseStackProps extends StackProps {
  /**
   * Handlers and their triggers.
   * @default - wiring/fleet.ts `functions`
   */
  readonly functions?: Readonly<Record<string, FunctionSpec>>;
  /**
   * DynamoDB tables.
   * @default - wiring/fleet.ts `tables`
   */
  readonly tables?: Readonly<Record<string, TableSpec>>;
  /**
   * S3 buckets.
   * @default - wiring/fleet.ts `buckets`
   */
  readonly buckets?: Readonly<Record<string, BucketSpec>>;
  /**
   * SQS queues.
   * @default - wiring/fleet.ts `queues`
   */
  readonly queues?: Readonly<Record<string, QueueSpec>>;
  /**
   * Wiring name of the queue that takes failed device input from rules and asynchronous invocations.
   * @default 'ingestDeadLetter'
   */
  readonly ingestDeadLetterQueue?: string;
}

/** The bucket the analyzer's query tables are written to (wiring/analyzer.ts grants it). */
const ANALYZER_BUCKET = 'archive';

export class FleetPulseStack extends Stack {
  constructor(scope: Construct, id: string, props: FleetPulseStackProps = {}) {
    super(scope, id, props);
    const tableSpecs: Readonly<Record<string, TableSpec>> = props.tables ?? wiredTables;
    const bucketSpecs: Readonly<Record<string, BucketSpec>> = props.buckets ?? wiredBuckets;
    const queueSpecs: Readonly<Record<string, QueueSpec>> = props.queues ?? wiredQueues;
    const functionSpecs: Readonly<Record<string, FunctionSpec>> = props.functions ?? wiredFunctions;

    new DeviceIdentity(this, 'Identity');
    const state = new StateTables(this, 'State', { tables: tableSpecs });
    const archive = new Archive(this, 'Archive', { buckets: bucketSpecs });
    const queues = new Queues(this, 'Queues', { queues: queueSpecs });

    const functions = new FleetFunctions(this, 'Functions', {
      functions: functionSpecs,
      tables: pair(tableSpecs, state.tables, (spec, resource) => ({ envVar: spec.envVar, resource })),
      buckets: pair(bucketSpecs, archive.buckets, (spec, resource) => ({ envVar: spec.envVar, resource })),
      queues: pair(queueSpecs, queues.queues, (spec, resource) => ({ envVar: spec.envVar, resource })),
    });

    const deadLetterName = props.ingestDeadLetterQueue ?? 'ingestDeadLetter';
    const deadLetterQueue = queues.queues[deadLetterName];
    if (deadLetterQueue === undefined) {
      throw new Error(
        `FleetPulseStack: ingest dead-letter queue '${deadLetterName}' is not a declared queue`,
      );
    }
    new Ingest(this, 'Ingest', {
      handlers: functions.handlers,
      queues: pair(queueSpecs, queues.queues, (spec, queue) => ({ spec, queue })),
      deadLetterQueue,
    });

    if (Object.values(functionSpecs).some((spec) => spec.trigger.kind === 'api')) {
      new OperatorApi(this, 'Api', { handlers: functions.handlers });
    }

    const archiveBucket = archive.buckets[ANALYZER_BUCKET];
    const archiveSpec = bucketSpecs[ANALYZER_BUCKET];
    if (archiveBucket !== undefined && archiveSpec !== undefined) {
      new AnalyzerSql(this, 'AnalyzerSql', {
        archiveBucket,
        serverAccessLogsBucket: archive.serverAccessLogsBucket,
        historyDays: archiveSpec.expireAfterDays,
      });
    }

    new Observability(this, 'Observability', {
      deadLetterQueues: queues.deadLetterQueues,
      functions: Object.fromEntries(
        Object.entries(functions.functions).map(([name, fn]) => [name, fn.lambda]),
      ),
    });
  }
}

/** Pairs each declared spec with the resource built from it. */
function pair<S, R, T>(
  specs: Readonly<Record<string, S>>,
  resources: Readonly<Record<string, R>>,
  combine: (spec: S, resource: R) => T,
): Record<string, T> {
  const paired: Record<string, T> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const resource = resources[name];
    if (resource !== undefined) paired[name] = combine(spec, resource);
  }
  return paired;
}
