import { describe, expect, it } from 'vitest';
import {
  basicIngestTopic,
  deviceAcl,
  parseBasicIngest,
  parseDeviceTopic,
  topicMatches,
  topics,
} from '#protocol/topics.ts';

describe('topics', () => {
  it('parses every device → cloud topic it builds', () => {
    expect(parseDeviceTopic(topics.heartbeat('dev-1'))).toEqual({ deviceId: 'dev-1', kind: 'heartbeat' });
    expect(parseDeviceTopic(topics.report('dev-1'))).toEqual({ deviceId: 'dev-1', kind: 'report' });
    expect(parseDeviceTopic(topics.analyzer('dev-1', 's1'))).toEqual({
      deviceId: 'dev-1',
      kind: 'analyzer',
      sessionId: 's1',
    });
    expect(parseDeviceTopic(topics.commandResult('dev-1'))).toEqual({
      deviceId: 'dev-1',
      kind: 'command-result',
    });
    expect(parseDeviceTopic(topics.policyRequest('dev-1'))).toEqual({
      deviceId: 'dev-1',
      kind: 'policy-request',
    });
  });

  it('refuses topics that are not ours or carry an invalid device id', () => {
    expect(parseDeviceTopic('dt/fleet/dev-1/other')).toBeUndefined();
    expect(parseDeviceTopic('dt/fleet/../heartbeat')).toBeUndefined();
    expect(parseDeviceTopic('cmd/fleet/dev-1')).toBeUndefined();
  });

  it('matches MQTT wildcards like a broker', () => {
    expect(topicMatches('dt/fleet/+/heartbeat', 'dt/fleet/a/heartbeat')).toBe(true);
    expect(topicMatches('dt/fleet/+/heartbeat', 'dt/fleet/a/b/heartbeat')).toBe(false);
    expect(topicMatches('dt/#', 'dt/fleet/a/report')).toBe(true);
    expect(topicMatches('$aws/events/presence/+/+', '$aws/events/presence/connected/a')).toBe(true);
  });

  it('confines a device to its own topics', () => {
    expect(deviceAcl.canPublish('a', 'dt/fleet/a/heartbeat')).toBe(true);
    expect(deviceAcl.canPublish('a', 'dt/fleet/b/heartbeat')).toBe(false);
    expect(deviceAcl.canPublish('a', 'dt/fleet/ab/heartbeat')).toBe(false);
    expect(deviceAcl.canSubscribe('a', 'cmd/fleet/a')).toBe(true);
    expect(deviceAcl.canSubscribe('a', 'cmd/fleet/+')).toBe(false);
    expect(deviceAcl.canSubscribe('a', 'cmd/fleet/#')).toBe(false);
  });
});

describe('Basic Ingest', () => {
  it('routes device topics that a rule takes through that rule, and leaves the others alone', () => {
    expect(basicIngestTopic('dt/fleet/a/heartbeat')).toBe(
      '$aws/rules/fleetpulse_heartbeat/dt/fleet/a/heartbeat',
    );
    expect(basicIngestTopic('dt/fleet/a/report')).toBe('$aws/rules/fleetpulse_report/dt/fleet/a/report');
    // No rule takes command results yet: they stay on the broker topic.
    expect(basicIngestTopic('dt/fleet/a/command-result')).toBe('dt/fleet/a/command-result');
  });

  it('parses what it builds back into the rule and the device topic', () => {
    expect(parseBasicIngest(basicIngestTopic('dt/fleet/a/report'))).toEqual({
      ruleName: 'fleetpulse_report',
      topic: 'dt/fleet/a/report',
    });
    expect(parseBasicIngest('dt/fleet/a/report')).toBeUndefined();
    expect(parseBasicIngest('$aws/rules/')).toBeUndefined();
  });
});
