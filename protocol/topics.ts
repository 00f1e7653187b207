/**
 * The table of MQTT topics: each topic is declared once in `topicTable`, and everything else here
 * (builders, topic filters, the parser, the topic rules' Basic Ingest names, the device ACL and the
 * IoT policy's resources) is derived from it. Adding a topic is one entry in this table.
 */
import * as z from 'zod';
import { AnalyzerWireBatchSchema } from './analyzer.ts';
import { CommandResultSchema, CommandSchema } from './commands.ts';
import { decodeFramed, decodeJson, encodeFramed, encodeJson } from './encoding.ts';
import { HeartbeatSchema } from './heartbeat.ts';
import { DeviceIdSchema, SessionIdSchema } from './ids.ts';
import { ReportSchema } from './inventory.ts';
import { LifecycleEventSchema } from './lifecycle.ts';
import { PolicyRequestSchema } from './policy.ts';

/**
 * The values a `{name}` level of a topic pattern may take. A level never holds '/', '+' or '#', and
 * each schema below refuses them, so a parsed topic is never a wildcard filter.
 */
const topicParams = {
  deviceId: DeviceIdSchema,
  sessionId: SessionIdSchema,
  eventType: z.enum(['connected', 'disconnected']),
  clientId: z.string().regex(/^[^/+#]+$/),
} as const;
type TopicParamName = keyof typeof topicParams;

/**
 * - `device-to-cloud`: a device publishes it, only under its own id (the ACL and the IoT policy
 *   say so); `cloud-to-device`: a device subscribes to it, only its own; `broker-to-cloud`: IoT Core
 *   publishes it (lifecycle events), no device may.
 * - `encoding`: `json` is UTF-8 JSON; `framed` is the compressed frame of encoding.ts.
 * - `ingestRule`: the IoT topic rule that takes the topic; devices publish to it through Basic
 *   Ingest (`$aws/rules/<rule>/<topic>`), which skips IoT Core's messaging charge. Without one the
 *   message stays on the broker topic.
 */
export interface TopicSpec {
  readonly direction: 'device-to-cloud' | 'cloud-to-device' | 'broker-to-cloud';
  /** Levels separated by '/'; a `{param}` level is one of `topicParams`. */
  readonly pattern: string;
  readonly schema: z.ZodType;
  readonly encoding: 'json' | 'framed';
  readonly ingestRule?: string;
}

export const topicTable = {
  heartbeat: {
    direction: 'device-to-cloud',
    pattern: 'dt/fleet/{deviceId}/heartbeat',
    schema: HeartbeatSchema,
    encoding: 'json',
    ingestRule: 'fleetpulse_heartbeat',
  },
  report: {
    direction: 'device-to-cloud',
    pattern: 'dt/fleet/{deviceId}/report',
    schema: ReportSchema,
    encoding: 'framed',
    ingestRule: 'fleetpulse_report',
  },
  analyzer: {
    direction: 'device-to-cloud',
    pattern: 'dt/fleet/{deviceId}/analyzer/{sessionId}',
    schema: AnalyzerWireBatchSchema,
    encoding: 'framed',
    ingestRule: 'fleetpulse_analyzer',
  },
  'command-result': {
    direction: 'device-to-cloud',
    pattern: 'dt/fleet/{deviceId}/command-result',
    schema: CommandResultSchema,
    encoding: 'json',
    ingestRule: 'fleetpulse_command_result',
  },
  'policy-request': {
    direction: 'device-to-cloud',
    pattern: 'dt/fleet/{deviceId}/policy/request',
    schema: PolicyRequestSchema,
    encoding: 'json',
    ingestRule: 'fleetpulse_policy_request',
  },
  command: {
    direction: 'cloud-to-device',
    pattern: 'cmd/fleet/{deviceId}',
    schema: CommandSchema,
    encoding: 'json',
  },
  presence: {
    direction: 'broker-to-cloud',
    pattern: '$aws/events/presence/{eventType}/{clientId}',
    schema: LifecycleEventSchema,
    encoding: 'json',
    ingestRule: 'fleetpulse_presence',
  },
} as const satisfies Record<string, TopicSpec>;

// ------------------------------------------------------------------ types derived from the table

type Table = typeof topicTable;
export type TopicKind = keyof Table;
type KindsWhere<Condition> = { [K in TopicKind]: Table[K] extends Condition ? K : never }[TopicKind];
export type DeviceTopicKind = KindsWhere<{ direction: 'device-to-cloud' }>;
type IngestKind = KindsWhere<{ ingestRule: string }>;

/** 'policy-request' → 'policyRequest': builder and filter names. */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;
/** The `{param}` names of a pattern, in order. */
type ParamNames<P extends string> = P extends `${string}{${infer Name extends TopicParamName}}${infer Rest}`
  ? [Name, ...ParamNames<Rest>]
  : [];
type ParamValue<N extends TopicParamName> = z.infer<(typeof topicParams)[N]>;
type BuilderArgs<Names extends readonly TopicParamName[]> = { [I in keyof Names]: ParamValue<Names[I]> };
/** The pattern with every `{param}` level made a `+` wildcard. */
type FilterOf<P extends string> = P extends `${infer Head}{${string}}${infer Rest}`
  ? `${Head}+${FilterOf<Rest>}`
  : P;

type Builders = {
  [K in TopicKind as Camel<K>]: (...args: BuilderArgs<ParamNames<Table[K]['pattern']>>) => string;
};
type Filters = { [K in TopicKind as Camel<K>]: FilterOf<Table[K]['pattern']> };
type IngestRules = {
  [K in IngestKind as Camel<K>]: { readonly ruleName: Table[K]['ingestRule']; readonly topicFilter: string };
};

/** A parsed topic: its kind and the value of each of its parameters. */
export type ParsedTopic = {
  [K in TopicKind]: { kind: K } & { [N in ParamNames<Table[K]['pattern']>[number]]: ParamValue<N> };
}[TopicKind];
export type ParsedDeviceTopic = Extract<ParsedTopic, { kind: DeviceTopicKind }>;

// ------------------------------------------------------------------ derivations

interface CompiledTopic {
  readonly kind: TopicKind;
  readonly spec: TopicSpec;
  readonly camel: string;
  /** Each level: a literal, or the name of the parameter it holds. */
  readonly levels: ReadonlyArray<{ literal: string } | { param: TopicParamName }>;
}

const camelCase = (kind: string): string => kind.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const compiled: readonly CompiledTopic[] = (Object.entries(topicTable) as Array<[TopicKind, TopicSpec]>).map(
  ([kind, spec]) => ({
    kind,
    spec,
    camel: camelCase(kind),
    levels: spec.pattern.split('/').map((level) => {
      const param = /^\{(\w+)\}$/.exec(level)?.[1];
      if (param === undefined) return { literal: level };
      if (!Object.hasOwn(topicParams, param)) throw new Error(`topic ${kind}: unknown parameter {${param}}`);
      return { param: param as TopicParamName };
    }),
  }),
);

function build(topic: CompiledTopic, args: readonly string[]): string {
  let next = 0;
  return topic.levels.map((level) => ('literal' in level ? level.literal : (args[next++] ?? ''))).join('/');
}

/** Topic builders: `topics.heartbeat(deviceId)`, `topics.analyzer(deviceId, sessionId)`, ... */
export const topics = Object.fromEntries(
  compiled.map((topic) => [topic.camel, (...args: string[]) => build(topic, args)]),
) as unknown as Builders;

/** Topic filters, as topic rules' SQL FROM clauses take them (every parameter a `+`). */
export const topicFilters = Object.fromEntries(
  compiled.map((topic) => [
    topic.camel,
    topic.levels.map((l) => ('literal' in l ? l.literal : '+')).join('/'),
  ]),
) as unknown as Filters;

/** The IoT topic rules that take device messages, by name (wiring/ reads these). */
export const ingestRules = Object.fromEntries(
  compiled.flatMap((topic) =>
    topic.spec.ingestRule === undefined
      ? []
      : [
          [
            topic.camel,
            {
              ruleName: topic.spec.ingestRule,
              topicFilter: (topicFilters as Record<string, string>)[topic.camel],
            },
          ],
        ],
  ),
) as unknown as IngestRules;

function parseAs(topic: CompiledTopic, levels: readonly string[]): ParsedTopic | undefined {
  if (levels.length !== topic.levels.length) return undefined;
  const parsed: Record<string, string> = { kind: topic.kind };
  for (const [i, level] of topic.levels.entries()) {
    const value = levels[i] ?? '';
    if ('literal' in level) {
      if (level.literal !== value) return undefined;
    } else if (topicParams[level.param].safeParse(value).success) {
      parsed[level.param] = value;
    } else {
      return undefined;
    }
  }
  return parsed as ParsedTopic;
}

/** Parses any topic of the table; undefined when the topic is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split('/');
  for (const candidate of compiled) {
    const parsed = parseAs(candidate, levels);
    if (parsed) return parsed;
  }
  return undefined;
}

const isDeviceKind = (parsed: ParsedTopic): parsed is ParsedDeviceTopic =>
  topicTable[parsed.kind].direction === 'device-to-cloud';

/** Parses a device → cloud topic; undefined when the topic is not one of those. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parsed = parseTopic(topic);
  return parsed && isDeviceKind(parsed) ? parsed : undefined;
}

/** MQTT topic-filter match (`+` one level, `#` the rest), as brokers and rule engines do it. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}

// ------------------------------------------------------------------ payloads

/** Encodes a payload of `kind` as the table says (framed payloads with encoding.ts's default codec). */
export function encodeTopicPayload<K extends TopicKind>(kind: K, value: z.input<Table[K]['schema']>): Buffer {
  return topicTable[kind].encoding === 'framed' ? encodeFramed(value) : encodeJson(value);
}

/**
 * Decodes a payload of `kind` as the table says, bounded as encoding.ts bounds every device payload.
 * Validating it against the entry's schema is the caller's: the reason names what was invalid.
 */
export function decodeTopicPayload(kind: TopicKind, payload: Uint8Array): unknown {
  return topicTable[kind].encoding === 'framed' ? decodeFramed(payload) : decodeJson(payload);
}

// ------------------------------------------------------------------ Basic Ingest

export const BASIC_INGEST_PREFIX = '$aws/rules/';

/** The Basic Ingest topic for a device topic that a rule takes; the topic itself otherwise. */
export function basicIngestTopic(topic: string): string {
  const parsed = parseDeviceTopic(topic);
  const ruleName = parsed && (topicTable[parsed.kind] as TopicSpec).ingestRule;
  return ruleName === undefined ? topic : `${BASIC_INGEST_PREFIX}${ruleName}/${topic}`;
}

/** Splits `$aws/rules/<rule>/<topic>`; undefined when the topic is not a Basic Ingest topic. */
export function parseBasicIngest(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { ruleName: rest.slice(0, slash), topic: rest.slice(slash + 1) };
}

// ------------------------------------------------------------------ what a device may do

/**
 * A device may publish only the device → cloud topics of its own id, and subscribe only to the
 * cloud → device topics of its own id (exact topics, no wildcards). The local broker enforces this;
 * `devicePolicyResources` writes the same rule for the IoT policy.
 */
export const deviceAcl = {
  canPublish(deviceId: string, topic: string): boolean {
    return parseDeviceTopic(topic)?.deviceId === deviceId;
  },
  canSubscribe(deviceId: string, filter: string): boolean {
    const parsed = parseTopic(filter);
    return (
      parsed !== undefined &&
      topicTable[parsed.kind].direction === 'cloud-to-device' &&
      'deviceId' in parsed &&
      parsed.deviceId === deviceId
    );
  },
};

/**
 * The IoT policy's topic resources for a device, `thingName` being the policy variable of the
 * connection's thing name; every other parameter may take any value (`*`).
 */
export function devicePolicyResources(thingName: string): {
  publish: string[];
  subscribe: string[];
} {
  const patternFor = (topic: CompiledTopic): string =>
    topic.levels
      .map((level) => ('literal' in level ? level.literal : level.param === 'deviceId' ? thingName : '*'))
      .join('/');
  const of = (direction: TopicSpec['direction']) => compiled.filter((t) => t.spec.direction === direction);
  return {
    publish: of('device-to-cloud').flatMap((topic) => [
      patternFor(topic),
      ...(topic.spec.ingestRule === undefined
        ? []
        : [`${BASIC_INGEST_PREFIX}${topic.spec.ingestRule}/${patternFor(topic)}`]),
    ]),
    subscribe: of('cloud-to-device').map(patternFor),
  };
}
