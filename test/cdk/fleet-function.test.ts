import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { FleetFunction } from '#lib/fleet-function.ts';
import { FIXTURE_ENTRY, testStack } from './app.ts';

function fleetFunction(stack: Stack = testStack()): { stack: Stack; fn: FleetFunction } {
  const fn = new FleetFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, memoryMb: 512, timeoutSec: 30 });
  return { stack, fn };
}

describe('FleetFunction', () => {
  it('runs Node.js 22 on arm64 with active tracing and the house environment', () => {
    const { stack } = fleetFunction();

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: { POWERTOOLS_SERVICE_NAME: 'fleetpulse', NODE_OPTIONS: '--enable-source-maps' },
      },
    });
  });

  it('logs to its own log group with a retention period', () => {
    const { stack, fn } = fleetFunction();

    const template = Template.fromStack(stack);

    const logGroupId = stack.getLogicalId(fn.node.findChild('Logs').node.defaultChild as never);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
  });

  it('uses a role without AWS managed policies', () => {
    const { stack } = fleetFunction();

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('binds a table: env var with the table name and a read-only grant', () => {
    const { stack, fn } = fleetFunction();
    const table = new Table(stack, 'Table', { partitionKey: { name: 'id', type: AttributeType.STRING } });

    fn.bindTable('DEVICES_TABLE', table, 'read');

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DEVICES_TABLE: { Ref: stack.getLogicalId(table.node.defaultChild as never) },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:GetItem', 'dynamodb:Query']),
            Resource: { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] },
          }),
        ]),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('dynamodb:PutItem');
  });

  it('binds a bucket for read/write and a queue for sending', () => {
    const { stack, fn } = fleetFunction();
    const bucket = new Bucket(stack, 'Bucket');
    const queue = new Queue(stack, 'Queue');

    fn.bindBucket('ARCHIVE_BUCKET', bucket, 'readWrite');
    fn.bindQueue('DLQ_URL', queue, 'send');

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ARCHIVE_BUCKET: { Ref: stack.getLogicalId(bucket.node.defaultChild as never) },
          DLQ_URL: { Ref: stack.getLogicalId(queue.node.defaultChild as never) },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']) }),
          Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']) }),
        ]),
      },
    });
  });

  it('lets an IoT publisher publish to the given topics and find the data endpoint', () => {
    const { stack, fn } = fleetFunction();

    fn.allowIotPublish('https://example-ats.iot.eu-west-1.amazonaws.com', 'cmd/fleet/*');

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ IOT_DATA_ENDPOINT: 'https://example-ats.iot.eu-west-1.amazonaws.com' }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iot:Publish',
            Resource: 'arn:aws:iot:eu-west-1:111122223333:topic/cmd/fleet/*',
          }),
        ]),
      },
    });
  });

  it('refuses one env var bound to two different resources', () => {
    const { stack, fn } = fleetFunction();
    fn.bindQueue('QUEUE_URL', new Queue(stack, 'A'), 'send');

    expect(() => fn.bindQueue('QUEUE_URL', new Queue(stack, 'B'), 'send')).toThrow(
      /environment variable QUEUE_URL is bound twice/,
    );
  });

  it.each([
    [{ memoryMb: 64 }, /memoryMb must be an integer in 128..10240, got 64/],
    [{ timeoutSec: 901 }, /timeoutSec must be an integer in 1..900, got 901/],
    [{ timeoutSec: 0 }, /timeoutSec must be an integer in 1..900, got 0/],
  ])('rejects out-of-range settings %o', (settings, message) => {
    const stack = testStack();

    expect(() => new FleetFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, ...settings })).toThrow(message);
  });

  it('rejects an entry that does not exist', () => {
    const stack = testStack();

    expect(() => new FleetFunction(stack, 'Fn', { entry: 'lambdas/does-not-exist.ts' })).toThrow(
      /handler entry lambdas\/does-not-exist.ts does not exist/,
    );
  });
});
