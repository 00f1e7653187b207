/**
 * MQTT topic names: the one place where they are built and parsed.
 * Device `{id}` = IoT thing name = MQTT client id = certificate CN.
 */

/** Thing names allow [a-zA-Z0-9:_-]; we drop ':' so an id is safe in topics, S3 keys and URLs. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const isDeviceId = (value: string): boolean => DEVICE_ID_PATTERN.test(value);

export type DeviceTopicKind = 'heartbeat' | 'report' | 'analyzer' | 'command-result' | 'policy-request';

export const topics = {
  heartbeat: (deviceId: string) => `dt/fleet/${deviceId}/heartbeat`,
  report: (deviceId: string) => `dt/fleet/${deviceId}/report`,
  analyzer: (deviceId: string, sessionId: string) => `dt/fleet/${deviceId}/analyzer/${sessionId}`,
  commandResult: (deviceId: string) => `dt/fleet/${deviceId}/command-result`,
  policyRequest: (deviceId: string) => `dt/fleet/${deviceId}/policy/request`,
  command: (deviceId: string) => `cmd/fleet/${deviceId}`,
  presence: (eventType: 'connected' | 'disconnected', clientId: string) =>
    `$aws/events/presence/${eventType}/${clientId}`,
} as const;

/** Topic filters used by topic rules (MQTT wildcard syntax, as in IoT rule SQL FROM clauses). */
export const topicFilters = {
  heartbeat: 'dt/fleet/+/heartbeat',
  report: 'dt/fleet/+/report',
  analyzer: 'dt/fleet/+/analyzer/+',
  commandResult: 'dt/fleet/+/command-result',
  policyRequest: 'dt/fleet/+/policy/request',
  presence: '$aws/events/presence/+/+',
} as const;

/**
 * The IoT topic rules that take device messages, by name. Devices publish through Basic Ingest
 * (`$aws/rules/<rule>/<topic>`), which delivers straight to the rule and skips IoT Core's
 * messaging charge; the rule sees the topic without the prefix, so handlers are unaffected.
 */
export const ingestRules = {
  heartbeat: { ruleName: 'fleetpulse_heartbeat', topicFilter: topicFilters.heartbeat },
  report: { ruleName: 'fleetpulse_report', topicFilter: topicFilters.report },
  presence: { ruleName: 'fleetpulse_presence', topicFilter: topicFilters.presence },
} as const;

export const BASIC_INGEST_PREFIX = '$aws/rules/';

/** The Basic Ingest topic for a device topic that a rule takes; the topic itself otherwise. */
export function basicIngestTopic(topic: string): string {
  for (const rule of Object.values(ingestRules)) {
    if (topicMatches(rule.topicFilter, topic)) return `${BASIC_INGEST_PREFIX}${rule.ruleName}/${topic}`;
  }
  return topic;
}

/** Splits `$aws/rules/<rule>/<topic>`; undefined when the topic is not a Basic Ingest topic. */
export function parseBasicIngest(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { ruleName: rest.slice(0, slash), topic: rest.slice(slash + 1) };
}

export interface ParsedDeviceTopic {
  deviceId: string;
  kind: DeviceTopicKind;
  sessionId?: string;
}

/** Parses a device → cloud topic; undefined when the topic is not one of ours. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'dt' || parts[1] !== 'fleet') return undefined;
  const deviceId = parts[2];
  if (deviceId === undefined || !isDeviceId(deviceId)) return undefined;
  const rest = parts.slice(3).join('/');
  switch (rest) {
    case 'heartbeat':
    case 'report':
    case 'command-result':
      return { deviceId, kind: rest };
    case 'policy/request':
      return { deviceId, kind: 'policy-request' };
  }
  if (parts.length === 5 && parts[3] === 'analyzer') {
    const sessionId = parts[4];
    if (sessionId !== undefined && SESSION_ID_PATTERN.test(sessionId)) {
      return { deviceId, kind: 'analyzer', sessionId };
    }
  }
  return undefined;
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

/**
 * Whether a device may publish to / subscribe to a topic. The same rule is written as an
 * IoT policy (lib/identity.ts, with thing-name policy variables) and enforced by the local broker.
 */
export const deviceAcl = {
  canPublish: (deviceId: string, topic: string): boolean => topic.startsWith(`dt/fleet/${deviceId}/`),
  canSubscribe: (deviceId: string, filter: string): boolean => filter === topics.command(deviceId),
};
