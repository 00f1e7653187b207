/**
 * What a handler is, as the wiring declares it: its trigger, the resources it may touch and the
 * settings it reads from its environment. Features declare their functions with these types
 * (wiring/<feature>.ts); wiring/fleet.ts composes them into the one declaration lib/ and local/ read.
 */

export type Trigger =
  /** IoT topic rule → Lambda (asynchronous invoke; failures retried, then sent to the ingest DLQ). */
  | { readonly kind: 'topic-rule'; readonly ruleName: string; readonly topicFilter: string }
  /** IoT topic rule → SQS queue → Lambda (batches, partial batch failures, redrive to the queue's DLQ). */
  | {
      readonly kind: 'topic-rule-queue';
      readonly ruleName: string;
      readonly topicFilter: string;
      readonly queue: string;
      readonly batchSize: number;
      readonly maxBatchingWindowSec: number;
      /** Batches processed at once (SQS event source maximum concurrency, 2..1000). */
      readonly maxConcurrency: number;
    }
  /** SQS queue → Lambda. */
  | {
      readonly kind: 'queue';
      readonly queue: string;
      readonly batchSize: number;
      readonly maxBatchingWindowSec: number;
      /** Batches processed at once (SQS event source maximum concurrency, 2..1000). */
      readonly maxConcurrency: number;
    }
  /** API Gateway HTTP API routes ("GET /devices/{id}"). */
  | { readonly kind: 'api'; readonly routes: readonly string[] };

/** Resources by wiring name; the composition refuses a name no feature declares. */
export interface Access {
  readonly tables?: Readonly<Record<string, 'read' | 'readWrite'>>;
  readonly buckets?: Readonly<Record<string, 'read' | 'readWrite'>>;
  readonly queues?: Readonly<Record<string, 'send' | 'consume'>>;
  /** May publish to cmd/fleet/* through the IoT data plane. */
  readonly iotPublish?: boolean;
}

/**
 * A value a handler reads from its environment. CDK sets it on every function that declares it; the
 * local cloud sets it unless the process environment already has it (tests tune it that way).
 */
export interface SettingSpec {
  /** Environment variable name. */
  readonly name: string;
  /** The value when nothing else is configured; the handler's own fallback must agree (tested). */
  readonly default: string;
  readonly doc: string;
}

export interface FunctionSpec {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSec: number;
  readonly trigger: Trigger;
  readonly access: Access;
  /**
   * Settings the handler reads from its environment.
   * @default - none
   */
  readonly settings?: readonly SettingSpec[];
}

/**
 * Access of a function together with the access of what it runs for other features (a heartbeat
 * reaction's tables, say), as one grant list: read-write wins over read; a queue must be named with
 * one right only (send and consume are different rights, not levels).
 */
export function mergeAccess(...parts: readonly Access[]): Access {
  const tables = mergeLevels(parts.map((p) => p.tables));
  const buckets = mergeLevels(parts.map((p) => p.buckets));
  const queues: Record<string, 'send' | 'consume'> = {};
  for (const part of parts) {
    for (const [name, right] of Object.entries(part.queues ?? {})) {
      if (queues[name] !== undefined && queues[name] !== right) {
        throw new Error(`access to queue ${name} is declared both as ${queues[name]} and ${right}`);
      }
      queues[name] = right;
    }
  }
  return {
    ...(tables ? { tables } : {}),
    ...(buckets ? { buckets } : {}),
    ...(Object.keys(queues).length > 0 ? { queues } : {}),
    ...(parts.some((p) => p.iotPublish === true) ? { iotPublish: true } : {}),
  };
}

function mergeLevels(
  records: ReadonlyArray<Readonly<Record<string, 'read' | 'readWrite'>> | undefined>,
): Record<string, 'read' | 'readWrite'> | undefined {
  const out: Record<string, 'read' | 'readWrite'> = {};
  for (const record of records) {
    for (const [name, level] of Object.entries(record ?? {})) {
      out[name] = out[name] === 'readWrite' ? 'readWrite' : level;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * What a feature adds to a function of another feature that runs its code (a heartbeat reaction, say):
 * the access and settings follow the feature that needs them.
 */
export interface Contribution {
  /** The contributing code's name where the host function lists it (a heartbeat reaction's name). */
  readonly name: string;
  readonly access: Access;
  /** @default - none */
  readonly settings?: readonly SettingSpec[];
}
