import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DeviceIdentity } from '#lib/identity.ts';
import { devicePolicyResources } from '#protocol/topics.ts';
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

    const { publish, subscribe } = devicePolicyResources(THING);
    expect(statements).toEqual([
      { Action: 'iot:Connect', Resource: [arn(`client/${THING}`)] },
      { Action: 'iot:Publish', Resource: publish.map((topic) => arn(`topic/${topic}`)) },
      { Action: 'iot:Subscribe', Resource: subscribe.map((topic) => arn(`topicfilter/${topic}`)) },
      { Action: 'iot:Receive', Resource: subscribe.map((topic) => arn(`topic/${topic}`)) },
    ]);
  });

  it('lets a device publish its topics directly and through their Basic Ingest rules, and receive its commands', () => {
    const stack = testStack();
    new DeviceIdentity(stack, 'Identity');

    const [, publish, subscribe, receive] = statementsOf(Template.fromStack(stack));

    expect(publish?.Resource).toEqual(
      expect.arrayContaining([
        arn(`topic/dt/fleet/${THING}/heartbeat`),
        arn(`topic/$aws/rules/fleetpulse_heartbeat/dt/fleet/${THING}/heartbeat`),
        arn(`topic/dt/fleet/${THING}/report`),
        arn(`topic/$aws/rules/fleetpulse_report/dt/fleet/${THING}/report`),
        arn(`topic/dt/fleet/${THING}/policy/request`),
      ]),
    );
    expect(subscribe?.Resource).toEqual([arn(`topicfilter/cmd/fleet/${THING}`)]);
    expect(receive?.Resource).toEqual([arn(`topic/cmd/fleet/${THING}`)]);
  });

  it('stays within the IoT policy document limit of 2,048 characters', () => {
    const stack = testStack();
    new DeviceIdentity(stack, 'Identity');

    const statements = statementsOf(Template.fromStack(stack)).map((s) => ({
      ...s,
      // A real ARN's partition, region and account are at most this long.
      Resource: s.Resource.map((r) =>
        r
          .replace('<AWS::Partition>', 'aws-us-gov')
          .replace('<AWS::Region>', 'ap-southeast-4')
          .replace('<AWS::AccountId>', '123456789012'),
      ),
    }));

    expect(JSON.stringify({ Version: '2012-10-17', Statement: statements }).length).toBeLessThan(2048);
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
