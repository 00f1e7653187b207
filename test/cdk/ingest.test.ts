import type { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { FleetFunction } from '#lib/fleet-function.ts';
import { Ingest, type IngestQueue } from '#lib/ingest.ts';
import type { FunctionSpec, Trigger } from '#wiring/functions.ts';
import type { QueueSpec } from '#wiring/resources.ts';
import { RULE_SQL_VERSION, ruleSql } from '#wiring/rule-event.ts';
import { FIXTURE_ENTRY, testStack } from './app.ts';

const queueSpec: QueueSpec = { envVar: 'Q', localName: 'q', visibilityTimeoutSec: 60, retentionDays: 4 };

function spec(trigger: Trigger, timeoutSec = 30): FunctionSpec {
  return { entry: FIXTURE_ENTRY, description: 'test', memoryMb: 256, timeoutSec, trigger, access: {} };
}

function ingest(stack: Stack, trigger: Trigger, options: { timeoutSec?: number; queue?: QueueSpec } = {}) {
  const handler: IFunction = new FleetFunction(stack, 'Fn', { entry: FIXTURE_ENTRY }).lambda;
  const deadLetterQueue = new Queue(stack, 'IngestDlq');
  const queues: Record<string, IngestQueue> = {
    reports: { spec: options.queue ?? queueSpec, queue: new Queue(stack, 'Reports') },
  };
  new Ingest(stack, 'Ingest', {
    handlers: { fn: { spec: spec(trigger, options.timeoutSec), handler } },
    queues,
    deadLetterQueue,
  });
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return {
    template: Template.fromStack(stack),
    dlqId: id(deadLetterQueue),
    handlerId: id(handler),
    reportsId: id(queues.reports?.queue as Queue),
  };
}

const topicRule = {
  kind: 'topic-rule',
  ruleName: 'fleetpulse_heartbeat',
  topicFilter: 'dt/fleet/+/heartbeat',
} as const satisfies Trigger;
const topicRuleQueue = {
  kind: 'topic-rule-queue',
  ruleName: 'fleetpulse_report',
  topicFilter: 'dt/fleet/+/report',
  queue: 'reports',
  batchSize: 10,
  maxBatchingWindowSec: 1,
  maxConcurrency: 5,
} as const satisfies Trigger;

describe('Ingest', () => {
  it('routes a topic rule to the function with the shared rule SQL and an error action to the ingest DLQ', () => {
    const { template, dlqId, handlerId } = ingest(testStack(), topicRule);

    const roleArn = new Capture();
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'fleetpulse_heartbeat',
      TopicRulePayload: {
        Sql: ruleSql('dt/fleet/+/heartbeat'),
        AwsIotSqlVersion: RULE_SQL_VERSION,
        Actions: [{ Lambda: { FunctionArn: { 'Fn::GetAtt': [handlerId, 'Arn'] } } }],
        ErrorAction: { Sqs: { QueueUrl: { Ref: dlqId }, RoleArn: roleArn, UseBase64: false } },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] },
          }),
        ],
      },
      Roles: [{ Ref: (roleArn.asObject()['Fn::GetAtt'] as string[])[0] }],
    });
  });

  it('lets only IoT, from this rule, invoke the function', () => {
    const { template, handlerId } = ingest(testStack(), topicRule);

    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [handlerId, 'Arn'] },
      Principal: 'iot.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IngestFnRule'), 'Arn'] },
      SourceAccount: '111122223333',
    });
  });

  it('retries a failed asynchronous invocation twice, then sends it to the ingest DLQ', () => {
    const { template, dlqId, handlerId } = ingest(testStack(), topicRule);

    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: handlerId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it('routes a queued topic rule into its queue, raw JSON, and consumes it with partial batch failures', () => {
    const { template, reportsId, handlerId } = ingest(testStack(), topicRuleQueue);

    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'fleetpulse_report',
      TopicRulePayload: Match.objectLike({
        Sql: ruleSql('dt/fleet/+/report'),
        Actions: [{ Sqs: { QueueUrl: { Ref: reportsId }, RoleArn: Match.anyValue(), UseBase64: false } }],
        ErrorAction: Match.objectLike({ Sqs: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [reportsId, 'Arn'] },
      FunctionName: { Ref: handlerId },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  it('consumes a plain queue trigger without a topic rule', () => {
    const { template } = ingest(testStack(), {
      kind: 'queue',
      queue: 'reports',
      batchSize: 5,
      maxBatchingWindowSec: 0,
      maxConcurrency: 2,
    });

    template.resourceCountIs('AWS::IoT::TopicRule', 0);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('rejects a maximum concurrency SQS event sources do not accept', () => {
    expect(() => ingest(testStack(), { ...topicRuleQueue, maxConcurrency: 1 })).toThrow(
      /function fn: maxConcurrency must be an integer in 2\.\.1000, got 1/,
    );
  });

  it('rejects a queue whose visibility timeout is shorter than the function timeout', () => {
    expect(() => ingest(testStack(), topicRuleQueue, { timeoutSec: 120 })).toThrow(
      /function fn: queue 'reports' visibility timeout \(60s\) is shorter than the function timeout \(120s\)/,
    );
  });

  it('rejects a trigger on an undeclared queue', () => {
    expect(() => ingest(testStack(), { ...topicRuleQueue, queue: 'commands' })).toThrow(
      /function fn: trigger names unknown queue 'commands' \(declared: reports\)/,
    );
  });

  it('rejects a rule name IoT would refuse', () => {
    expect(() => ingest(testStack(), { ...topicRule, ruleName: 'fleet-pulse' })).toThrow(
      /rule fleet-pulse: IoT rule names must match/,
    );
  });

  it('rejects a batch size above 10 without a batching window', () => {
    expect(() => ingest(testStack(), { ...topicRuleQueue, batchSize: 100, maxBatchingWindowSec: 0 })).toThrow(
      /function fn: a batchSize above 10 needs a maxBatchingWindowSec of at least 1/,
    );
  });
});
