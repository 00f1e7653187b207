import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { StateTables } from '#lib/state.ts';
import { tables } from '#wiring/fleet.ts';
import { testStack } from './app.ts';

describe('StateTables', () => {
  it('creates on-demand tables with point-in-time recovery and AWS-managed encryption', () => {
    const stack = testStack();
    new StateTables(stack, 'State', { tables });

    const template = Template.fromStack(stack);

    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      Object.keys(tables).length,
    );
  });

  it('uses the declared keys and the TTL attribute when one is declared', () => {
    const stack = testStack();
    new StateTables(stack, 'State', { tables });

    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'deviceId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('leaves TTL off for a table that declares none', () => {
    const stack = testStack();
    new StateTables(stack, 'State', { tables: { devices: tables.devices } });

    const table = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0];

    expect(table?.Properties.TimeToLiveSpecification).toBeUndefined();
  });

  it('retains tables when the stack is deleted', () => {
    const stack = testStack();
    new StateTables(stack, 'State', { tables });

    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('encrypts with a customer-managed key when one is given', () => {
    const stack = testStack();
    const key = new Key(stack, 'Key', { enableKeyRotation: true });
    new StateTables(stack, 'State', { tables: { devices: tables.devices }, encryptionKey: key });

    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] },
      },
    });
  });

  it('gives the analyzer table a keys-only index of sessions by device and the day of their last sample', () => {
    const stack = testStack();
    new StateTables(stack, 'State', { tables: { analyzer: tables.analyzer } });

    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'lastSeenDay', AttributeType: 'N' }]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'sessionsByLastSeenDay',
          KeySchema: [
            { AttributeName: 'deviceId', KeyType: 'HASH' },
            { AttributeName: 'lastSeenDay', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('rejects an index sort key that is a string key of the table', () => {
    const stack = testStack();
    const spec = {
      partitionKey: 'id',
      sortKey: 'sk',
      envVar: 'T',
      localName: 't',
      indexes: { recent: { partitionKey: 'id', numberSortKey: 'sk' } },
    };

    expect(() => new StateTables(stack, 'State', { tables: { bad: spec } })).toThrow(
      /table bad: index recent sort key 'sk' is a string key of the table/,
    );
  });

  it('rejects a TTL attribute that is also a key', () => {
    const stack = testStack();
    const spec = { partitionKey: 'id', ttlAttribute: 'id', envVar: 'T', localName: 't' };

    expect(() => new StateTables(stack, 'State', { tables: { bad: spec } })).toThrow(
      /table bad: ttlAttribute 'id' cannot be a key attribute/,
    );
  });

  it('rejects an invalid attribute name', () => {
    const stack = testStack();
    const spec = { partitionKey: '', envVar: 'T', localName: 't' };

    expect(() => new StateTables(stack, 'State', { tables: { bad: spec } })).toThrow(
      /table bad: partitionKey '' is not a valid DynamoDB attribute name/,
    );
  });
});
