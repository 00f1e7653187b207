import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Queues } from '#lib/queues.ts';
import { queues } from '#wiring/fleet.ts';
import { testStack } from './app.ts';

describe('Queues', () => {
  it('redrives each source queue to its declared dead-letter queue after maxReceiveCount receives', () => {
    const stack = testStack();
    const created = new Queues(stack, 'Queues', { queues });

    const template = Template.fromStack(stack);

    const dlqId = stack.getLogicalId(created.queues.reportsDeadLetter?.node.defaultChild as never);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: queues.reports.visibilityTimeoutSec,
      MessageRetentionPeriod: queues.reports.retentionDays * 86_400,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: queues.reports.deadLetter.maxReceiveCount,
      },
    });
  });

  it('encrypts every queue at rest', () => {
    const stack = testStack();
    new Queues(stack, 'Queues', { queues });

    Template.fromStack(stack).allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('refuses requests without TLS on every queue', () => {
    const stack = testStack();
    new Queues(stack, 'Queues', { queues });

    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      Object.keys(queues).length,
    );
  });

  it('lists the queues without a deadLetter of their own as dead-letter queues', () => {
    const stack = testStack();

    const created = new Queues(stack, 'Queues', { queues });

    expect(Object.keys(created.deadLetterQueues).sort()).toEqual([
      'analyzerDeadLetter',
      'analyzerTablesDeadLetter',
      'commandDispatchDeadLetter',
      'commandFanoutDeadLetter',
      'ingestDeadLetter',
      'reportsDeadLetter',
    ]);
  });

  it('gives dead-letter queues no redrive policy', () => {
    const stack = testStack();
    new Queues(stack, 'Queues', { queues: { dlq: queues.ingestDeadLetter } });

    const withRedrive = Template.fromStack(stack).findResources('AWS::SQS::Queue', {
      Properties: { RedrivePolicy: Match.anyValue() },
    });

    expect(withRedrive).toEqual({});
  });

  it('rejects a dead-letter queue that keeps messages for less time than its source', () => {
    const stack = testStack();
    const specs = {
      source: { ...queues.reports, retentionDays: 14, deadLetter: { queue: 'dlq', maxReceiveCount: 5 } },
      dlq: { ...queues.reportsDeadLetter, retentionDays: 4 },
    };

    expect(() => new Queues(stack, 'Queues', { queues: specs })).toThrow(
      /queue source: dead-letter queue 'dlq' keeps messages 4 days, less than the 14 days of its source/,
    );
  });

  it('rejects a redrive to an undeclared queue', () => {
    const stack = testStack();
    const specs = { source: { ...queues.reports, deadLetter: { queue: 'missing', maxReceiveCount: 5 } } };

    expect(() => new Queues(stack, 'Queues', { queues: specs })).toThrow(
      /queue source: dead-letter queue 'missing' is not declared/,
    );
  });

  it('rejects a retention period SQS does not support', () => {
    const stack = testStack();

    expect(
      () => new Queues(stack, 'Queues', { queues: { q: { ...queues.ingestDeadLetter, retentionDays: 30 } } }),
    ).toThrow(/queue q: retentionDays must be an integer in 1..14, got 30/);
  });
});
