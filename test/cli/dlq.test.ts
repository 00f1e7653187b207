/**
 * `fleetpulse dlq list|replay` logic against the real local cloud: real handlers, the ingest and
 * reports dead-letter queues of the local SQS, replays through the emulated Lambda Invoke API.
 */
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRuleEvent, type DeadLetter } from '#wiring/rule-event.ts';
import { type DlqName, listDeadLetters, replayDeadLetters } from '../../cli/dlq.ts';
import { type DlqTarget, localReplayTargets, localTarget } from '../../cli/dlq-command.ts';
import { validHeartbeat } from '../support/heartbeat.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;
let target: DlqTarget;

/** A dead letter as the heartbeat handler writes it, for an event of `deviceId` with `payload`. */
function heartbeatDeadLetter(deviceId: string, payload: unknown): DeadLetter {
  const topic = `dt/fleet/${deviceId}/heartbeat`;
  return {
    source: 'heartbeat',
    reason: 'heartbeat is invalid: agentVersion: expected string',
    errorType: 'SchemaError',
    deviceId,
    topic,
    failedAt: Date.now(),
    event: buildRuleEvent({
      payload: Buffer.from(JSON.stringify(payload)),
      topic,
      clientId: deviceId,
      sourceIp: '203.0.113.7',
      receivedAt: Date.now(),
    }),
  };
}

async function queueUrl(queue: DlqName): Promise<string> {
  return target.queueUrl(queue);
}

async function put(queue: DlqName, body: unknown): Promise<string> {
  const res = await t.aws.sqs.send(
    new SendMessageCommand({ QueueUrl: await queueUrl(queue), MessageBody: JSON.stringify(body) }),
  );
  return res.MessageId ?? '';
}

async function list(queue: DlqName) {
  return listDeadLetters(target.sqs, { queue, queueUrl: await queueUrl(queue), max: 50 });
}

async function replay(queue: 'ingest' | 'reports', options: { dryRun?: boolean; source?: string } = {}) {
  return replayDeadLetters({
    sqs: target.sqs,
    ...(target.lambda ? { lambda: target.lambda } : {}),
    queue,
    queueUrl: await queueUrl(queue),
    max: 50,
    dryRun: options.dryRun ?? false,
    targetFor: localReplayTargets(target, options.source),
  });
}

async function apiStatus(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  t = await startTestCloud();
  target = localTarget(t.endpoints);
});

beforeEach(async () => {
  await t.cloud.idle();
  for (const queue of ['ingest', 'reports'] as const) {
    await t.aws.sqs.send(new PurgeQueueCommand({ QueueUrl: await queueUrl(queue) }));
  }
});

afterAll(async () => {
  target?.close();
  await t?.cleanup();
});

describe('dlq list', () => {
  it('shows a malformed heartbeat from a device with its reason, and a second list still shows it', async () => {
    const device = await t.deviceClient('dlq-bad-1');
    await device.publishAsync('dt/fleet/dlq-bad-1/heartbeat', JSON.stringify({ schema: 1, uptimeSec: -5 }), {
      qos: 1,
    });
    await t.cloud.idle();

    const first = await waitFor(async () => (await list('ingest')).find((d) => d.deviceId === 'dlq-bad-1'), {
      what: 'the dead letter of dlq-bad-1',
    });
    const second = await list('ingest');

    expect(first).toMatchObject({
      source: 'heartbeat',
      errorType: 'SchemaError',
      topic: 'dt/fleet/dlq-bad-1/heartbeat',
      reason: expect.stringMatching(/^heartbeat is invalid: .*agentVersion/),
    });
    expect(second.map((d) => d.messageId)).toContain(first.messageId);
    device.end(true);
  });

  it('lists more messages than one receive returns, each once', async () => {
    for (let i = 0; i < 23; i++) await put('ingest', heartbeatDeadLetter(`dlq-many-${i}`, { schema: 1 }));

    const items = await list('ingest');

    expect(items).toHaveLength(23);
    expect(new Set(items.map((d) => d.messageId)).size).toBe(23);
  });

  it('shows the topic, device and receive count of a reports DLQ message', async () => {
    const event = buildRuleEvent({
      payload: Buffer.from('x'),
      topic: 'dt/fleet/dlq-rep-1/report',
      receivedAt: Date.now(),
    });
    await put('reports', event);

    const [item] = await list('reports');

    expect(item).toMatchObject({
      source: 'reports',
      deviceId: 'dlq-rep-1',
      topic: 'dt/fleet/dlq-rep-1/report',
      receiveCount: 1,
    });
  });
});

describe('dlq replay', () => {
  it('invokes the heartbeat handler with a now-valid event, the device appears and the dead letter is gone', async () => {
    const messageId = await put('ingest', heartbeatDeadLetter('dlq-fixed-1', validHeartbeat()));

    const outcomes = await replay('ingest');

    expect(outcomes).toEqual([
      expect.objectContaining({
        messageId,
        status: 'replayed',
        source: 'heartbeat',
        target: 'fleetpulse-heartbeat',
      }),
    ]);
    const device = await apiStatus('/devices/dlq-fixed-1');
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({ agentVersion: '9.9.9', sourceIp: '203.0.113.7' });
    expect(await list('ingest')).toEqual([]);
  });

  it('reports a still-invalid event with the new reason and keeps the original dead letter, without a duplicate', async () => {
    const messageId = await put('ingest', heartbeatDeadLetter('dlq-still-bad', { schema: 1, uptimeSec: -5 }));

    const outcomes = await replay('ingest');

    expect(outcomes).toEqual([
      expect.objectContaining({
        messageId,
        status: 'still-invalid',
        detail: expect.stringMatching(/^SchemaError: heartbeat is invalid/),
      }),
    ]);
    expect((await list('ingest')).map((d) => d.messageId)).toEqual([messageId]);
    expect((await apiStatus('/devices/dlq-still-bad')).status).toBe(404);
  });

  it('replays a mix in one run: the valid one goes, the invalid ones stay once each', async () => {
    const bad1 = await put('ingest', heartbeatDeadLetter('dlq-mix-bad1', { schema: 1 }));
    const good = await put('ingest', heartbeatDeadLetter('dlq-mix-good', validHeartbeat()));
    const bad2 = await put('ingest', heartbeatDeadLetter('dlq-mix-bad2', 'not json at all'));

    const outcomes = await replay('ingest');

    const status = Object.fromEntries(outcomes.map((o) => [o.messageId, o.status]));
    expect(status).toEqual({ [bad1]: 'still-invalid', [good]: 'replayed', [bad2]: 'still-invalid' });
    expect((await list('ingest')).map((d) => d.messageId).sort()).toEqual([bad1, bad2].sort());
  });

  it('changes nothing on a dry run', async () => {
    const messageId = await put('ingest', heartbeatDeadLetter('dlq-dry-1', validHeartbeat()));

    const outcomes = await replay('ingest', { dryRun: true });

    expect(outcomes).toEqual([expect.objectContaining({ messageId, status: 'would-replay' })]);
    expect((await list('ingest')).map((d) => d.messageId)).toEqual([messageId]);
    expect((await apiStatus('/devices/dlq-dry-1')).status).toBe(404);
  });

  it('skips dead letters of other sources and ones that are not dead letters, keeping them', async () => {
    const presence = { ...heartbeatDeadLetter('dlq-skip-1', {}), source: 'presence' };
    const presenceId = await put('ingest', presence);
    const junkId = await put('ingest', { hello: 'not a dead letter' });

    const outcomes = await replay('ingest', { source: 'heartbeat' });

    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ messageId: presenceId, status: 'skipped' }),
        expect.objectContaining({ messageId: junkId, status: 'failed' }),
      ]),
    );
    expect((await list('ingest')).map((d) => d.messageId).sort()).toEqual([presenceId, junkId].sort());
  });

  it('sends a reports DLQ message back to the reports queue, where the handler reads it again', async () => {
    const event = buildRuleEvent({
      payload: Buffer.from('not a framed report'),
      topic: 'dt/fleet/dlq-rep-2/report',
      clientId: 'dlq-rep-2',
      receivedAt: Date.now(),
    });
    const messageId = await put('reports', event);

    const outcomes = await replay('reports');

    expect(outcomes).toEqual([expect.objectContaining({ messageId, status: 'requeued', source: 'reports' })]);
    expect(await list('reports')).toEqual([]);
    // The reports handler got it from its queue and dead-lettered the (still bad) frame with a reason.
    const letter = await waitFor(async () => (await list('ingest')).find((d) => d.deviceId === 'dlq-rep-2'), {
      timeoutMs: 10_000,
      what: 'the reports handler to dead-letter the replayed frame',
    });
    expect(letter).toMatchObject({ source: 'reports', errorType: 'DecodeError' });
  });
});
