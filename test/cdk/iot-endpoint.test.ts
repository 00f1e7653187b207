import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IotDataEndpoint } from '#lib/iot-endpoint.ts';
import { testStack } from './app.ts';

describe('IotDataEndpoint', () => {
  it('is created once per stack however often it is asked for', () => {
    const stack = testStack();

    const first = IotDataEndpoint.of(stack);
    const second = IotDataEndpoint.of(stack);

    expect(second).toBe(first);
    Template.fromStack(stack).resourceCountIs('Custom::AWS', 1);
  });

  it('looks up the ATS data endpoint and exposes it as an https URL', () => {
    const stack = testStack();

    const endpoint = IotDataEndpoint.of(stack);

    expect(stack.resolve(endpoint.url)).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.any(String), 'endpointAddress'] }]],
    });
    Template.fromStack(stack).hasResourceProperties('Custom::AWS', {
      Create: Match.stringLikeRegexp('"service":"IoT","action":"DescribeEndpoint"'),
      Update: Match.stringLikeRegexp('"endpointType":"iot:Data-ATS"'),
    });
  });

  it('may call iot:DescribeEndpoint and nothing else', () => {
    const stack = testStack();

    IotDataEndpoint.of(stack);

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'iot:DescribeEndpoint', Effect: 'Allow', Resource: '*' }] },
    });
  });
});
