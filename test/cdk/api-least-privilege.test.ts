/**
 * Least privilege follows the feature: the read-only operator API functions (devices, inventory, sessions) get
 * no write and no IoT-publish right, whatever other API functions (commands, next) are granted.
 */
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetPulseStack } from '#lib/fleetpulse-stack.ts';
import { FleetFunctions } from '#lib/functions.ts';
import { pascal } from '#lib/names.ts';
import { type FunctionName, functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { FIXTURE_ENTRY, testApp, testStack } from './app.ts';

const READ_ONLY_API_FUNCTIONS = [
  'devicesApi',
  'inventoryApi',
  'sessionsApi',
] as const satisfies readonly FunctionName[];

/** Rights that change stored state or reach devices. */
const FORBIDDEN_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  'sqs:SendMessage',
  'sqs:DeleteMessage',
  'sqs:PurgeQueue',
  'iot:Publish',
];

type Statement = { Effect?: string; Action?: string | string[] };
type PolicyDocument = { Statement?: Statement[] };

/** Whether an IAM action pattern (`s3:GetObject*`, `dynamodb:*`, `*`) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  return regex.test(action);
}
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every action the role is allowed, from the policies attached to it and its inline policies. */
function allowedActions(stack: Stack, role: IRole): string[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const documents: PolicyDocument[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy') {
      const roles = (props.Roles ?? []) as Array<{ Ref?: string }>;
      if (roles.some((r) => r.Ref === roleId)) documents.push(props.PolicyDocument as PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role' && id === roleId) {
      for (const inline of (props.Policies ?? []) as Array<{ PolicyDocument: PolicyDocument }>) {
        documents.push(inline.PolicyDocument);
      }
    }
  }
  return documents
    .flatMap((doc) => doc.Statement ?? [])
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action ?? []].flat());
}

function forbiddenGrants(stack: Stack, role: IRole): string[] {
  const allowed = allowedActions(stack, role);
  return FORBIDDEN_ACTIONS.filter((action) => allowed.some((pattern) => covers(pattern, action)));
}

function roleOf(stack: Stack, functionName: string): IRole {
  const fn = stack.node.findChild('Functions').node.findChild(pascal(functionName));
  return fn.node.findChild('Role') as IRole;
}

describe('read-only operator API roles', () => {
  let stack: FleetPulseStack;
  beforeAll(() => {
    stack = new FleetPulseStack(testApp(), 'FleetPulse-eu-west-1', { env: { region: 'eu-west-1' } });
  });

  it('are API functions of the wiring', () => {
    for (const name of READ_ONLY_API_FUNCTIONS) expect(functions[name].trigger.kind).toBe('api');
  });

  it.each(READ_ONLY_API_FUNCTIONS)('%s may read but not write, send or publish', (name) => {
    const role = roleOf(stack, name);

    const allowed = allowedActions(stack, role);
    const forbidden = forbiddenGrants(stack, role);

    expect(allowed).toContain('dynamodb:GetItem');
    expect(forbidden).toEqual([]);
  });
});

describe('the forbidden-grant check', () => {
  it('finds a write grant and an IoT publish grant on an API function', () => {
    const stack = testStack();
    const table = new Table(stack, 'Devices', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    const spec: FunctionSpec = {
      entry: FIXTURE_ENTRY,
      description: 'an API function granted too much',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: { kind: 'api', routes: ['GET /things'] },
      access: { tables: { devices: 'readWrite' }, iotPublish: true },
    };
    new FleetFunctions(stack, 'Functions', {
      functions: { things: spec },
      tables: { devices: { envVar: 'DEVICES_TABLE', resource: table } },
    });

    const forbidden = forbiddenGrants(stack, roleOf(stack, 'things'));

    expect(forbidden).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'iot:Publish',
      ]),
    );
  });
});
