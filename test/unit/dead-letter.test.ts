import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { topics } from '#protocol/topics.ts';
import { deadLetterOf, sendDeadLetter } from '#wiring/dead-letter.ts';
import { buildRuleEvent, DeadLetterSchema } from '#wiring/rule-event.ts';

class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

const ruleEvent = (topic: string, clientId?: string) =>
  buildRuleEvent({
    payload: Buffer.from('{"schema":1}'),
    topic,
    ...(clientId === undefined ? {} : { clientId }),
    receivedAt: 1,
  });

describe('deadLetterOf', () => {
  it('keeps the reason, the error class, the topic, the device and the replayable event', () => {
    const event = ruleEvent(topics.heartbeat('dev-1'), 'dev-1');

    const entry = deadLetterOf('heartbeat', new SchemaError('heartbeat is invalid: x: bad'), event, 42);

    expect(entry).toEqual({
      source: 'heartbeat',
      reason: 'heartbeat is invalid: x: bad',
      errorType: 'SchemaError',
      topic: 'dt/fleet/dev-1/heartbeat',
      deviceId: 'dev-1',
      failedAt: 42,
      event,
    });
    expect(DeadLetterSchema.parse(entry)).toEqual(entry);
  });

  it('takes the device of a lifecycle event from its client id, and the rule client id otherwise', () => {
    expect(
      deadLetterOf('presence', new Error('x'), ruleEvent(topics.presence('connected', 'dev-2'))).deviceId,
    ).toBe('dev-2');
    expect(
      deadLetterOf('reports', new Error('x'), ruleEvent('dt/fleet/dev-3/unknown', 'dev-3')).deviceId,
    ).toBe('dev-3');
  });

  it('dead-letters what is not a rule event, and what was thrown that is not an Error', () => {
    const entry = deadLetterOf('reports', 'boom', 'not json');

    expect(entry).toMatchObject({ reason: 'boom', errorType: 'Error', event: 'not json' });
    expect(entry).not.toHaveProperty('topic');
    expect(entry).not.toHaveProperty('deviceId');
  });
});

describe('sendDeadLetter', () => {
  const entry = deadLetterOf(
    'reports',
    new SchemaError('bad'),
    ruleEvent(topics.report('dev-1'), 'dev-1'),
    7,
  );

  it('sends the entry with its source and error class as attributes', async () => {
    const sent: SendMessageCommand[] = [];

    await sendDeadLetter({ send: async (c: SendMessageCommand) => sent.push(c) } as never, 'q-url', entry);

    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toMatchObject({
      QueueUrl: 'q-url',
      MessageAttributes: {
        source: { DataType: 'String', StringValue: 'reports' },
        errorType: { DataType: 'String', StringValue: 'SchemaError' },
      },
    });
    expect(JSON.parse(sent[0]?.input.MessageBody ?? '')).toEqual(entry);
  });

  it('keeps the reason and the facts without the payload when SQS refuses the entry', async () => {
    const sent: SendMessageCommand[] = [];
    const sqs = {
      send: async (c: SendMessageCommand) => {
        sent.push(c);
        if (sent.length === 1) throw new Error('message too long');
      },
    };

    await sendDeadLetter(sqs as never, 'q-url', entry);

    const kept = JSON.parse(sent[1]?.input.MessageBody ?? '');
    expect(kept.reason).toMatch(/^bad \(original payload of 12 bytes not kept: message too long\)$/);
    expect(kept.event).toEqual({ topic: 'dt/fleet/dev-1/report', clientId: 'dev-1', receivedAt: 1 });
  });

  it('throws when the entry cannot be sent at all', async () => {
    const sqs = {
      send: async () => {
        throw new Error('queue gone');
      },
    };

    await expect(sendDeadLetter(sqs as never, 'q-url', entry)).rejects.toThrow('queue gone');
  });
});
