/**
 * A feature's share of the wiring, and the composition of all features into the one declaration
 * (wiring/fleet.ts). Names are global: two features declaring the same function, table, bucket or
 * queue name, or a function naming a resource nobody declares, fail at import with the culprit named.
 */
import type { FunctionSpec } from './functions.ts';
import { type BucketSpec, type QueueSpec, resourceEnvVar, type TableSpec } from './resources.ts';

export interface Feature {
  /** Shown in composition errors. */
  readonly name: string;
  /** Handlers, by function name. */
  readonly functions?: Readonly<Record<string, FunctionSpec>>;
  /** Resources this feature owns (others may use them by name in their access). */
  readonly tables?: Readonly<Record<string, TableSpec>>;
  readonly buckets?: Readonly<Record<string, BucketSpec>>;
  readonly queues?: Readonly<Record<string, QueueSpec>>;
}

type Section = 'functions' | 'tables' | 'buckets' | 'queues';
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
/**
 * One section of all features, merged, with the literal names each declares (the empty record keeps a
 * section no feature declares an object, not `unknown`).
 */
type Merged<F extends Feature, S extends Section> = UnionToIntersection<
  F extends { readonly [K in S]: infer R } ? R : never
> &
  Readonly<Record<never, never>>;

export interface Composition<F extends Feature> {
  readonly functions: Merged<F, 'functions'>;
  readonly tables: Merged<F, 'tables'>;
  readonly buckets: Merged<F, 'buckets'>;
  readonly queues: Merged<F, 'queues'>;
}

export function compose<const F extends readonly Feature[]>(features: F): Composition<F[number]> {
  const merged = {
    functions: mergeSection(features, 'functions'),
    tables: mergeSection(features, 'tables'),
    buckets: mergeSection(features, 'buckets'),
    queues: mergeSection(features, 'queues'),
  };
  validate(merged);
  return merged as unknown as Composition<F[number]>;
}

function mergeSection<S extends Section>(
  features: readonly Feature[],
  section: S,
): Record<string, NonNullable<Feature[S]>[string]> {
  const out: Record<string, NonNullable<Feature[S]>[string]> = {};
  const owner: Record<string, string> = {};
  for (const feature of features) {
    for (const [name, spec] of Object.entries(feature[section] ?? {})) {
      if (owner[name] !== undefined) {
        throw new Error(
          `wiring: ${section} '${name}' is declared by both ${owner[name]} and ${feature.name}`,
        );
      }
      owner[name] = feature.name;
      out[name] = spec as NonNullable<Feature[S]>[string];
    }
  }
  return out;
}

interface Sections {
  readonly functions: Record<string, FunctionSpec>;
  readonly tables: Record<string, TableSpec>;
  readonly buckets: Record<string, BucketSpec>;
  readonly queues: Record<string, QueueSpec>;
}

function validate({ functions, tables, buckets, queues }: Sections): void {
  const known = (kind: string, declared: Record<string, unknown>, fn: string, names: string[]): void => {
    for (const name of names) {
      if (!Object.hasOwn(declared, name)) {
        const list = Object.keys(declared).join(', ') || 'none';
        throw new Error(`wiring: function ${fn} names unknown ${kind} '${name}' (declared: ${list})`);
      }
    }
  };
  for (const [kind, declared] of [
    ['table', tables],
    ['bucket', buckets],
    ['queue', queues],
  ] as const) {
    for (const [name, spec] of Object.entries(declared)) {
      const expected = resourceEnvVar(kind, name);
      if (spec.envVar !== expected) {
        throw new Error(
          `wiring: ${kind} ${name} must name its env var ${expected} (handlers derive it), not ${spec.envVar}`,
        );
      }
    }
  }
  const resourceEnvVars = new Set(
    [...Object.values(tables), ...Object.values(buckets), ...Object.values(queues)].map((s) => s.envVar),
  );
  for (const [fn, spec] of Object.entries(functions)) {
    known('table', tables, fn, Object.keys(spec.access.tables ?? {}));
    known('bucket', buckets, fn, Object.keys(spec.access.buckets ?? {}));
    known('queue', queues, fn, Object.keys(spec.access.queues ?? {}));
    if ('queue' in spec.trigger) known('queue', queues, fn, [spec.trigger.queue]);
    const seen = new Set<string>();
    for (const setting of spec.settings ?? []) {
      if (resourceEnvVars.has(setting.name) || seen.has(setting.name)) {
        throw new Error(`wiring: function ${fn} declares setting ${setting.name} twice or over a resource`);
      }
      seen.add(setting.name);
    }
  }
  // The local cloud runs every handler in one environment: one setting, one default.
  const defaults = new Map<string, string>();
  for (const [fn, spec] of Object.entries(functions)) {
    for (const setting of spec.settings ?? []) {
      const other = defaults.get(setting.name);
      if (other !== undefined && other !== setting.default) {
        throw new Error(`wiring: function ${fn} gives setting ${setting.name} a second default`);
      }
      defaults.set(setting.name, setting.default);
    }
  }
  const operatorNames = new Set<string>();
  for (const [name, spec] of Object.entries(queues)) {
    if (spec.operatorName !== undefined) {
      if (spec.deadLetter !== undefined || operatorNames.has(spec.operatorName)) {
        throw new Error(`wiring: queue ${name}: only dead-letter queues get an operator name, each its own`);
      }
      operatorNames.add(spec.operatorName);
    }
    if (spec.deadLetter && !Object.hasOwn(queues, spec.deadLetter.queue)) {
      throw new Error(`wiring: queue ${name}: dead-letter queue ${spec.deadLetter.queue} is not declared`);
    }
  }
}
