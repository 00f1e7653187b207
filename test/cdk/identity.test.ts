import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DeviceIdentity } from '#lib/identity.ts';
import { testStack } from './app.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, resolved by IoT Core, not by JS.
const THING = '${iot:Connection.Thing.ThingName}';

/** Joins the Fn::Join parts of a policy resource into one string, tokens shown as their name. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(flatten).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  return ref === undefined ? JSON.stringify(value) : `<${ref}>`;
}

function statementsOf(template: Template): { Action: string; Resource: string[] }[] {
  const doc = new Capture();
  template.hasResourceProperties('AWS::IoT::Policy', { PolicyDocument: doc });
  const statements = (doc.asObject() as { Statement: { Action: string; Resource: unknown }[] }).Statement;
  return statements.map((s) => ({
    Action: s.Action,
    Resource: (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flatten),
  }));
}

const arn = (resource: string) => `arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:${resource}`;

describe('DeviceIdentity', () => {
  it('confines each device to its own client id and topics with thing-name policy variables', () => {
    const stack = testStack();
    new DeviceIdentity(stack, 'Identity');

    const statements = statementsOf(Template.fromStack(stack));

    expect(statements).toEqual([
      { Action: 'iot:Connect', Resource: [arn(`client/${THING}`)] },
      {
        Action: 'iot:Publish',
        Resource: [arn(`topic/dt/fleet/${THING}/*`), arn(`topic/$aws/rules/*/dt/fleet/${THING}/*`)],
      },
      { Action: 'iot:Subscribe', Resource: [arn(`topicfilter/cmd/fleet/${THING}`)] },
      { Action: 'iot:Receive', Resource: [arn(`topic/cmd/fleet/${THING}`)] },
    ]);
  });

  it('grants nothing broader than a device-scoped resource', () => {
    const stack = testStack();
    new DeviceIdentity(stack, 'Identity');

    const resources = statementsOf(Template.fromStack(stack)).flatMap((s) => s.Resource);

    for (const resource of resources) {
      expect(resource).toContain(THING);
      expect(resource).not.toMatch(/:(topic|topicfilter|client)\/\*$/);
    }
  });

  it('exports the policy name as a stack output', () => {
    const stack = testStack();
    new DeviceIdentity(stack, 'Identity', { policyName: 'fleet-device' });

    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::IoT::Policy', { PolicyName: 'fleet-device' });
    template.hasOutput('*', { Value: { Ref: Match.stringLikeRegexp('IdentityDevicePolicy') } });
  });

  it('rejects a policy name IoT would refuse', () => {
    const stack = testStack();

    expect(() => new DeviceIdentity(stack, 'Identity', { policyName: 'bad name/with slash' })).toThrow(
      /policyName 'bad name\/with slash' must match/,
    );
  });
});
