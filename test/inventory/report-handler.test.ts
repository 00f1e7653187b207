import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInventory } from '#lambdas/inventory/read-model.ts';
import { ResyncCommandSchema } from '#protocol/commands.ts';
import { Codec, encodeFramed, MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { tables } from '#wiring/fleet.ts';
import { buildRuleEvent } from '#wiring/rule-event.ts';
import {
  type DeviceState,
  diffReport,
  evolve,
  frame,
  fullReport,
  initialState,
  reportEvent,
  rng,
} from './fixtures.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
let handler: (
  event: SQSEvent,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

beforeAll(async () => {
  h = await startHarness();
  ({ handler } = await import('#lambdas/report.ts'));
});
afterAll(async () => h.stop());

const context = {
  functionName: 'reports',
  functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reports',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let nextId = 0;
function record(body: unknown): SQSRecord {
  return {
    messageId: `m-${++nextId}`,
    receiptHandle: 'r',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {} as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:fleetpulse-reports',
    awsRegion: 'us-east-1',
  };
}
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('report handler', () => {
  const deviceId = 'handler-dev';
  const states: DeviceState[] = [initialState(3)];
  states.push(evolve(states[0] as DeviceState, rng(3)));
  const full = fullReport(states[0] as DeviceState, { epoch: 'e1', seq: 1 });
  const diff = diffReport(states[0] as DeviceState, states[1] as DeviceState, {
    epoch: 'e1',
    seq: 2,
    baseSeq: 1,
  });
  const t0 = Date.now();

  it('applies a batch of reports, in any order, and reports no failures', async () => {
    const out = await handler(
      batch(
        record(reportEvent(deviceId, frame(diff), t0 + 2)),
        record(reportEvent(deviceId, frame(full), t0 + 1)),
      ),
      context,
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(await getInventory(h.deps(), deviceId)).toMatchObject({ seq: 2, sections: states[1] });
  });

  it('dead-letters bad input with the reason, acknowledges it and leaves the state untouched', async () => {
    const before = await getInventory(h.deps(), deviceId);
    const withNull = fullReport(states[1] as DeviceState, { epoch: 'e1', seq: 9 });
    (withNull.sections.os as Record<string, unknown>).build = null;
    const bad = [
      record('this is not json'),
      record(reportEvent(deviceId, Buffer.from('garbage bytes'), 3)),
      record(reportEvent(deviceId, encodeFramed({ kind: 'full', seq: 'x' }, Codec.Json), 3)),
      record(reportEvent(deviceId, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 1), 3)),
      record(
        buildRuleEvent({
          payload: frame(diff),
          topic: topics.report(deviceId),
          clientId: 'someone-else',
          receivedAt: 3,
        }),
      ),
      record(
        buildRuleEvent({
          payload: frame(diff),
          topic: topics.heartbeat(deviceId),
          clientId: deviceId,
          receivedAt: 3,
        }),
      ),
      record(reportEvent(deviceId, frame(withNull), 3)),
    ];
    const out = await handler(batch(...bad), context);
    expect(out.batchItemFailures).toEqual([]);
    const letters = await h.deadLetters();
    expect(letters.map((l) => [l.source, l.errorType])).toEqual([
      ['reports', 'SchemaError'],
      ['reports', 'DecodeError'],
      ['reports', 'SchemaError'],
      ['reports', 'DecodeError'],
      ['reports', 'ProtocolError'],
      ['reports', 'ProtocolError'],
      ['reports', 'ProtocolError'],
    ]);
    expect(letters[1]?.reason).toContain('missing FP magic');
    expect(letters[3]?.reason).toContain('limit');
    expect(letters[6]?.reason).toContain('os.build');
    expect(letters[6]?.deviceId).toBe(deviceId);
    expect(await getInventory(h.deps(), deviceId)).toEqual(before);
  });

  it('publishes a resync command through the IoT data plane when a diff has the wrong base', async () => {
    const forked = diffReport(states[0] as DeviceState, initialState(4), { epoch: 'e1', seq: 3, baseSeq: 1 });
    const out = await handler(batch(record(reportEvent(deviceId, frame(forked), t0 + 4))), context);
    expect(out.batchItemFailures).toEqual([]);
    const sent = h.published.filter((p) => p.topic === topics.command(deviceId));
    expect(sent).toHaveLength(1);
    expect(ResyncCommandSchema.parse(JSON.parse(sent[0]?.payload ?? ''))).toMatchObject({
      type: 'resync',
      storedSeq: 2,
    });
  });

  it('fails only the record that hit a transient error, for SQS to redeliver', async () => {
    const envVar = tables.inventory.envVar;
    const table = process.env[envVar];
    process.env[envVar] = 'no-such-table';
    try {
      const next = diffReport(states[1] as DeviceState, states[1] as DeviceState, {
        epoch: 'e1',
        seq: 4,
        baseSeq: 3,
      });
      const ok = record('not json either');
      const failing = record(reportEvent(deviceId, frame(next), 5));
      const out = await handler(batch(ok, failing), context);
      expect(out.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    } finally {
      process.env[envVar] = table;
    }
  });
});
