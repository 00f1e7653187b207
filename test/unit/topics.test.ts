import { describe, expect, it } from 'vitest';
import {
  basicIngestTopic,
  decodeTopicPayload,
  deviceAcl,
  devicePolicyResources,
  encodeTopicPayload,
  ingestRules,
  parseBasicIngest,
  parseDeviceTopic,
  parseTopic,
  type TopicKind,
  type TopicSpec,
  topicFilters,
  topicMatches,
  topics,
  topicTable,
} from '#protocol/topics.ts';

/** A valid value for each topic parameter, and a second device to tell "own" from "another's". */
const SAMPLE: Record<string, string> = {
  deviceId: 'dev-1',
  sessionId: 's1',
  eventType: 'connected',
  clientId: 'dev-1',
};
const OTHER_DEVICE = 'dev-2';

const entries = Object.entries(topicTable) as Array<[TopicKind, TopicSpec]>;
const paramsOf = (spec: TopicSpec): string[] =>
  [...spec.pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
const camel = (kind: string): string => kind.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const builderOf = (kind: string) =>
  (topics as unknown as Record<string, (...args: string[]) => string>)[camel(kind)] as (
    ...args: string[]
  ) => string;
/** The topic of one entry built with the sample parameters (deviceId overridable). */
function sampleTopic(kind: TopicKind, deviceId = 'dev-1'): string {
  const spec = topicTable[kind];
  return builderOf(kind)(...paramsOf(spec).map((p) => (p === 'deviceId' ? deviceId : (SAMPLE[p] ?? ''))));
}
const byDirection = (direction: TopicSpec['direction']) =>
  entries.filter(([, spec]) => spec.direction === direction).map(([kind]) => kind);

describe('topic table', () => {
  it('declares the topics the product uses today', () => {
    expect(Object.keys(topicTable)).toEqual(
      expect.arrayContaining([
        'heartbeat',
        'report',
        'analyzer',
        'command-result',
        'policy-request',
        'command',
        'presence',
      ]),
    );
  });

  it.each(entries)('%s: builds a topic that parses back to its kind and parameters', (kind, spec) => {
    const topic = sampleTopic(kind);
    expect(topic).not.toMatch(/[{}]/);
    const expected = Object.fromEntries([['kind', kind], ...paramsOf(spec).map((p) => [p, SAMPLE[p]])]);
    expect(parseTopic(topic)).toEqual(expected);
    if (spec.direction === 'device-to-cloud') expect(parseDeviceTopic(topic)).toEqual(expected);
    else expect(parseDeviceTopic(topic)).toBeUndefined();
  });

  it.each(entries)("%s: its filter matches its own topics and no other entry's", (kind) => {
    const filter = (topicFilters as unknown as Record<string, string>)[camel(kind)] ?? '';
    expect(topicMatches(filter, sampleTopic(kind))).toBe(true);
    expect(topicMatches(filter, sampleTopic(kind, OTHER_DEVICE))).toBe(true);
    for (const [other] of entries) {
      if (other !== kind)
        expect(topicMatches(filter, sampleTopic(other)), `${kind} filter vs ${other}`).toBe(false);
    }
  });

  it('gives builders, filters and parser results precise types', () => {
    const heartbeat: string = topics.heartbeat('dev-1');
    const filter: 'dt/fleet/+/heartbeat' = topicFilters.heartbeat;
    // @ts-expect-error: a presence event type is 'connected' or 'disconnected'
    topics.presence('reconnected', 'dev-1');
    const parsed = parseDeviceTopic(topics.analyzer('dev-1', 's1'));
    // Narrowed by kind: only an analyzer topic has a session id.
    if (parsed?.kind === 'analyzer') expect(parsed.sessionId).toBe('s1');
    if (parsed?.kind === 'heartbeat') {
      // @ts-expect-error: a heartbeat topic has no session id
      expect(parsed.sessionId).toBeUndefined();
    }
    expect(parseDeviceTopic(heartbeat)).toEqual({ kind: 'heartbeat', deviceId: 'dev-1' });
    expect(filter).toBe('dt/fleet/+/heartbeat');
  });

  it('refuses topics that are not ours, carry an invalid id or a wildcard', () => {
    for (const topic of [
      'dt/fleet/dev-1/other',
      'dt/fleet/../heartbeat',
      'dt/fleet/+/heartbeat',
      'dt/fleet/#',
      'dt/fleet/dev-1/heartbeat/extra',
      'dt/fleet/dev-1',
      '',
      '$aws/events/presence/reconnected/dev-1',
    ]) {
      expect(parseTopic(topic), topic).toBeUndefined();
    }
    expect(parseDeviceTopic(topics.command('dev-1'))).toBeUndefined();
  });

  it('matches MQTT wildcards like a broker', () => {
    expect(topicMatches('dt/fleet/+/heartbeat', 'dt/fleet/a/heartbeat')).toBe(true);
    expect(topicMatches('dt/fleet/+/heartbeat', 'dt/fleet/a/b/heartbeat')).toBe(false);
    expect(topicMatches('dt/#', 'dt/fleet/a/report')).toBe(true);
    expect(topicMatches('$aws/events/presence/+/+', '$aws/events/presence/connected/a')).toBe(true);
  });
});

describe('payloads', () => {
  it.each(entries)('%s: encodes and decodes as its entry says', (kind, spec) => {
    const value = { schema: 1, key: 'value' };

    const payload = encodeTopicPayload(kind, value as never);

    expect(payload.subarray(0, 2).toString('latin1') === 'FP').toBe(spec.encoding === 'framed');
    expect(decodeTopicPayload(kind, payload)).toEqual(value);
  });
});

describe('device ACL', () => {
  it.each(byDirection('device-to-cloud'))('%s: a device publishes it under its own id only', (kind) => {
    expect(deviceAcl.canPublish('dev-1', sampleTopic(kind))).toBe(true);
    expect(deviceAcl.canPublish('dev-1', sampleTopic(kind, OTHER_DEVICE))).toBe(false);
    expect(deviceAcl.canPublish('dev', sampleTopic(kind))).toBe(false);
    expect(deviceAcl.canSubscribe('dev-1', sampleTopic(kind))).toBe(false);
  });

  it.each(byDirection('cloud-to-device'))(
    '%s: a device subscribes to its own only and never publishes it',
    (kind) => {
      expect(deviceAcl.canSubscribe('dev-1', sampleTopic(kind))).toBe(true);
      expect(deviceAcl.canSubscribe('dev-1', sampleTopic(kind, OTHER_DEVICE))).toBe(false);
      expect(deviceAcl.canPublish('dev-1', sampleTopic(kind))).toBe(false);
    },
  );

  it.each(byDirection('broker-to-cloud'))('%s: no device may publish or subscribe to it', (kind) => {
    expect(deviceAcl.canPublish('dev-1', sampleTopic(kind))).toBe(false);
    expect(deviceAcl.canSubscribe('dev-1', sampleTopic(kind))).toBe(false);
  });

  it('refuses topics outside the table and wildcard subscriptions', () => {
    expect(deviceAcl.canPublish('dev-1', 'dt/fleet/dev-1/no-such-thing')).toBe(false);
    expect(deviceAcl.canPublish('dev-1', 'cmd/fleet/dev-1')).toBe(false);
    expect(deviceAcl.canSubscribe('dev-1', 'cmd/fleet/+')).toBe(false);
    expect(deviceAcl.canSubscribe('dev-1', 'cmd/fleet/#')).toBe(false);
    expect(deviceAcl.canSubscribe('dev-1', '#')).toBe(false);
  });

  it('writes the same rule as IoT policy resources, with the thing name as the device id', () => {
    const { publish, subscribe } = devicePolicyResources('THING');
    for (const kind of byDirection('device-to-cloud')) {
      const pattern = topicTable[kind].pattern.replace('{deviceId}', 'THING').replace(/\{\w+\}/g, '*');
      expect(publish).toContain(pattern);
      const rule = (topicTable[kind] as TopicSpec).ingestRule;
      if (rule) expect(publish).toContain(`$aws/rules/${rule}/${pattern}`);
    }
    expect(subscribe).toEqual(
      byDirection('cloud-to-device').map((k) => topicTable[k].pattern.replace('{deviceId}', 'THING')),
    );
    expect([...publish, ...subscribe].some((r) => r.includes('{'))).toBe(false);
    expect(publish.some((r) => r.startsWith('$aws/events/'))).toBe(false);
  });
});

describe('Basic Ingest', () => {
  it('derives one topic rule per entry that names one, with that entry filter', () => {
    const rules = Object.values(ingestRules) as Array<{ ruleName: string; topicFilter: string }>;
    const declared = entries.filter(([, spec]) => spec.ingestRule !== undefined);
    expect(rules).toHaveLength(declared.length);
    for (const [kind, spec] of declared) {
      expect(rules).toContainEqual({
        ruleName: spec.ingestRule,
        topicFilter: (topicFilters as unknown as Record<string, string>)[camel(kind)],
      });
    }
    expect(new Set(rules.map((r) => r.ruleName)).size, 'one rule per name').toBe(rules.length);
    // Deployed rule names: renaming one replaces the rule in AWS.
    expect(ingestRules.heartbeat).toEqual({
      ruleName: 'fleetpulse_heartbeat',
      topicFilter: 'dt/fleet/+/heartbeat',
    });
    expect(ingestRules.report).toEqual({ ruleName: 'fleetpulse_report', topicFilter: 'dt/fleet/+/report' });
    expect(ingestRules.presence.ruleName).toBe('fleetpulse_presence');
  });

  it.each(byDirection('device-to-cloud'))(
    '%s: goes through its rule when it has one, else stays on the broker',
    (kind) => {
      const topic = sampleTopic(kind);
      const rule = (topicTable[kind] as TopicSpec).ingestRule;
      const wire = basicIngestTopic(topic);
      if (rule === undefined) {
        expect(wire).toBe(topic);
      } else {
        expect(wire).toBe(`$aws/rules/${rule}/${topic}`);
        expect(parseBasicIngest(wire)).toEqual({ ruleName: rule, topic });
      }
    },
  );

  it('leaves topics that are not device → cloud alone', () => {
    expect(basicIngestTopic('dt/fleet/a/no-such-thing')).toBe('dt/fleet/a/no-such-thing');
    expect(basicIngestTopic(topics.presence('connected', 'a'))).toBe('$aws/events/presence/connected/a');
    expect(parseBasicIngest('dt/fleet/a/report')).toBeUndefined();
    expect(parseBasicIngest('$aws/rules/')).toBeUndefined();
  });
});
