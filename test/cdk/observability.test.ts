import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { FleetFunction } from '#lib/fleet-function.ts';
import { Observability } from '#lib/observability.ts';
import { FIXTURE_ENTRY, testStack } from './app.ts';

describe('Observability', () => {
  it('alarms as soon as a dead-letter queue holds a message', () => {
    const stack = testStack();
    const dlq = new Queue(stack, 'Dlq');

    new Observability(stack, 'Observability', { deadLetterQueues: { ingestDeadLetter: dlq }, functions: {} });

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [stack.getLogicalId(dlq.node.defaultChild as never), 'QueueName'] },
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when a function reports errors', () => {
    const stack = testStack();
    const fn = new FleetFunction(stack, 'Fn', { entry: FIXTURE_ENTRY }).lambda;

    new Observability(stack, 'Observability', { deadLetterQueues: {}, functions: { heartbeat: fn } });

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: stack.getLogicalId(fn.node.defaultChild as never) } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmDescription: Match.stringLikeRegexp('heartbeat'),
    });
  });

  it('rejects a period that is not a whole number of minutes', () => {
    const stack = testStack();

    expect(
      () =>
        new Observability(stack, 'Observability', {
          deadLetterQueues: {},
          functions: {},
          period: Duration.seconds(90),
        }),
    ).toThrow(/period must be a whole number of minutes/);
  });
});
