/**
 * All handlers of the wiring (wiring/fleet.ts) as FleetFunctions, each given exactly the access its
 * spec declares (tables, buckets, queues, IoT publish) and the settings it reads. No handler is
 * special-cased here: to give a handler a resource, change its `access` in its feature's wiring.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { topics } from '#protocol/topics.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { FleetFunction } from './fleet-function.ts';
import { IotDataEndpoint } from './iot-endpoint.ts';
import { pascal } from './names.ts';

/** A resource and the env var a handler finds it through. */
export interface ResourceBinding<T> {
  readonly envVar: string;
  readonly resource: T;
}

/** A handler with the wiring spec it was built from: what trigger constructs wire up. */
export interface HandlerBinding {
  readonly spec: FunctionSpec;
  readonly handler: IFunction;
}

export interface FleetFunctionsProps {
  /** Handlers to create, by wiring name. */
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  /**
   * Tables the specs may reference, by wiring name.
   * @default - none
   */
  readonly tables?: Readonly<Record<string, ResourceBinding<ITable>>>;
  /**
   * Buckets the specs may reference, by wiring name.
   * @default - none
   */
  readonly buckets?: Readonly<Record<string, ResourceBinding<IBucket>>>;
  /**
   * Queues the specs may reference, by wiring name.
   * @default - none
   */
  readonly queues?: Readonly<Record<string, ResourceBinding<IQueue>>>;
  /**
   * Where handlers with `iotPublish` may publish.
   * @default - the per-device command topics, cmd/fleet/*
   */
  readonly iotPublishTopicFilter?: string;
}

export class FleetFunctions extends Construct {
  /** The functions, by wiring name. */
  readonly functions: Readonly<Record<string, FleetFunction>>;
  /** The functions with their specs, by wiring name. */
  readonly handlers: Readonly<Record<string, HandlerBinding>>;

  constructor(scope: Construct, id: string, props: FleetFunctionsProps) {
    super(scope, id);
    const functions: Record<string, FleetFunction> = {};
    const handlers: Record<string, HandlerBinding> = {};
    for (const [name, spec] of Object.entries(props.functions)) {
      const fn = new FleetFunction(this, pascal(name), {
        entry: spec.entry,
        description: spec.description,
        memoryMb: spec.memoryMb,
        timeoutSec: spec.timeoutSec,
      });
      // Declared settings are set explicitly, so a deployed function shows what it runs with.
      for (const setting of spec.settings ?? []) fn.lambda.addEnvironment(setting.name, setting.default);
      const { access } = spec;
      for (const [table, level] of entries(access.tables)) {
        const binding = lookup(name, 'table', table, props.tables);
        fn.bindTable(binding.envVar, binding.resource, level);
      }
      for (const [bucket, level] of entries(access.buckets)) {
        const binding = lookup(name, 'bucket', bucket, props.buckets);
        fn.bindBucket(binding.envVar, binding.resource, level);
      }
      for (const [queue, level] of entries(access.queues)) {
        const binding = lookup(name, 'queue', queue, props.queues);
        fn.bindQueue(binding.envVar, binding.resource, level);
      }
      if (access.iotPublish === true) {
        fn.allowIotPublish(IotDataEndpoint.of(this).url, props.iotPublishTopicFilter ?? topics.command('*'));
      }
      functions[name] = fn;
      handlers[name] = { spec, handler: fn.lambda };
    }
    this.functions = functions;
    this.handlers = handlers;
  }
}

function entries<V>(record: Partial<Record<string, V>> | undefined): [string, V][] {
  return Object.entries(record ?? {}).filter((entry): entry is [string, V] => entry[1] !== undefined);
}

function lookup<T>(
  fn: string,
  kind: string,
  name: string,
  available: Readonly<Record<string, ResourceBinding<T>>> | undefined,
): ResourceBinding<T> {
  const binding = available?.[name];
  if (binding === undefined) {
    const known = Object.keys(available ?? {}).join(', ') || 'none';
    throw new Error(`function ${fn}: access names unknown ${kind} '${name}' (declared: ${known})`);
  }
  return binding;
}
