import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { FleetFunctions } from '#lib/functions.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { FIXTURE_ENTRY, testStack } from './app.ts';

const spec = (access: FunctionSpec['access']): FunctionSpec => ({
  entry: FIXTURE_ENTRY,
  description: 'test handler',
  memoryMb: 256,
  timeoutSec: 10,
  trigger: { kind: 'api', routes: ['GET /things'] },
  access,
});

describe('FleetFunctions', () => {
  it('binds exactly the tables and queues a spec declares, through their env vars', () => {
    const stack = testStack();
    const table = new Table(stack, 'Devices', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    const queue = new Queue(stack, 'Dlq');

    new FleetFunctions(stack, 'Functions', {
      functions: {
        writer: spec({ tables: { devices: 'readWrite' }, queues: { ingestDeadLetter: 'send' } }),
        reader: spec({}),
      },
      tables: { devices: { envVar: 'DEVICES_TABLE', resource: table } },
      queues: { ingestDeadLetter: { envVar: 'DLQ_URL', resource: queue } },
    });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DEVICES_TABLE: Match.anyValue(), DLQ_URL: Match.anyValue() }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { POWERTOOLS_SERVICE_NAME: 'fleetpulse', NODE_OPTIONS: '--enable-source-maps' },
      },
    });
  });

  it('sets each setting a spec declares on the function environment, at its default', () => {
    const stack = testStack();

    new FleetFunctions(stack, 'Functions', {
      functions: {
        tuned: {
          ...spec({}),
          settings: [{ name: 'OFFLINE_GRACE_SEC', default: '180', doc: 'grace' }],
        },
      },
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OFFLINE_GRACE_SEC: '180' }) },
    });
  });

  it('gives IoT publishers the data endpoint from one DescribeEndpoint lookup per stack', () => {
    const stack = testStack();

    new FleetFunctions(stack, 'Functions', {
      functions: { a: spec({ iotPublish: true }), b: spec({ iotPublish: true }) },
    });

    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::AWS', 1);
    template.hasResourceProperties('Custom::AWS', {
      Create: Match.stringLikeRegexp('"action":"DescribeEndpoint".*"endpointType":"iot:Data-ATS"'),
    });
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({
            IOT_DATA_ENDPOINT: {
              'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.anyValue(), 'endpointAddress'] }]],
            },
          }),
        },
      },
      2,
    );
    template.resourcePropertiesCountIs(
      'AWS::IAM::Policy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'iot:Publish',
              Resource: Match.stringLikeRegexp(':topic/cmd/fleet/\\*$'),
            }),
          ]),
        },
      },
      2,
    );
  });

  it('creates no endpoint lookup when no handler publishes', () => {
    const stack = testStack();

    new FleetFunctions(stack, 'Functions', { functions: { a: spec({}) } });

    Template.fromStack(stack).resourceCountIs('Custom::AWS', 0);
  });

  it('rejects a spec that references an unknown queue', () => {
    const stack = testStack();

    expect(
      () =>
        new FleetFunctions(stack, 'Functions', {
          functions: { a: spec({ queues: { reports: 'consume' } }) },
        }),
    ).toThrow(/function a: access names unknown queue 'reports' \(declared: none\)/);
  });

  it('rejects a spec that references an unknown table', () => {
    const stack = testStack();
    const table = new Table(stack, 'Devices', { partitionKey: { name: 'id', type: AttributeType.STRING } });

    expect(
      () =>
        new FleetFunctions(stack, 'Functions', {
          functions: { a: spec({ tables: { inventory: 'read' } }) },
          tables: { devices: { envVar: 'DEVICES_TABLE', resource: table } },
        }),
    ).toThrow(/function a: access names unknown table 'inventory' \(declared: devices\)/);
  });

  it('rejects a spec with less memory than Lambda allows', () => {
    const stack = testStack();

    expect(
      () => new FleetFunctions(stack, 'Functions', { functions: { a: { ...spec({}), memoryMb: 64 } } }),
    ).toThrow(/memoryMb must be an integer in 128..10240, got 64/);
  });
});
