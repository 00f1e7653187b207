import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { FleetPulseStack } from '#lib/fleetpulse-stack.ts';
import { functions, queues, tables } from '#wiring/fleet.ts';
import { ruleSql } from '#wiring/rule-event.ts';
import { testApp } from './app.ts';

// The real wiring, so these tests need the handler entries of the wiring to exist.
function fleetPulseStack(): FleetPulseStack {
  return new FleetPulseStack(testApp(), 'FleetPulse-eu-west-1', { env: { region: 'eu-west-1' } });
}

describe('FleetPulseStack', () => {
  it('passes the cdk-nag AwsSolutions checks with every finding acknowledged', () => {
    const stack = fleetPulseStack();

    const report = new AwsSolutionsChecks().validateScope(stack);

    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('synthesizes without error or warning annotations', () => {
    const stack = fleetPulseStack();

    const annotations = Annotations.fromStack(stack);

    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('creates a topic rule for every topic-rule trigger in the wiring', () => {
    const template = Template.fromStack(fleetPulseStack());

    for (const spec of Object.values(functions)) {
      const trigger = spec.trigger;
      if (trigger.kind !== 'topic-rule' && trigger.kind !== 'topic-rule-queue') continue;
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        RuleName: trigger.ruleName,
        TopicRulePayload: Match.objectLike({ Sql: ruleSql(trigger.topicFilter) }),
      });
    }
  });

  it('creates every declared table and queue', () => {
    const template = Template.fromStack(fleetPulseStack());

    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(tables).length);
    template.resourceCountIs('AWS::SQS::Queue', Object.keys(queues).length);
  });

  it('outputs the device policy name and the API URL', () => {
    const outputs = Template.fromStack(fleetPulseStack()).findOutputs('*');

    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/DevicePolicyName/), expect.stringMatching(/ApiUrl/)]),
    );
  });
});
