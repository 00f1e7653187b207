import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OperatorApi, type OperatorApiProps } from '#lib/api.ts';
import { FleetFunction } from '#lib/fleet-function.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { FIXTURE_ENTRY, testStack } from './app.ts';

function spec(trigger: FunctionSpec['trigger']): FunctionSpec {
  return { entry: FIXTURE_ENTRY, description: 'test', memoryMb: 256, timeoutSec: 10, trigger, access: {} };
}

function api(stack: Stack, routes: readonly string[], props: Partial<OperatorApiProps> = {}): Template {
  const handler = new FleetFunction(stack, 'ApiFn', { entry: FIXTURE_ENTRY }).lambda;
  const ingest = new FleetFunction(stack, 'IngestFn', { entry: FIXTURE_ENTRY }).lambda;
  new OperatorApi(stack, 'Api', {
    handlers: {
      api: { spec: spec({ kind: 'api', routes }), handler },
      heartbeat: { spec: spec({ kind: 'topic-rule', ruleName: 'r', topicFilter: 't/+' }), handler: ingest },
    },
    ...props,
  });
  return Template.fromStack(stack);
}

const routes = ['GET /devices', 'GET /devices/{id}'];

describe('OperatorApi', () => {
  it('creates one IAM-authorized route per declared route, and only those', () => {
    const template = api(testStack(), routes);

    template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    for (const routeKey of routes) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'AWS_IAM',
      });
    }
  });

  it('integrates the routes with the handler through Lambda proxy integrations', () => {
    const template = api(testStack(), routes);

    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('logs every request of the default stage to a log group with retention', () => {
    const template = api(testStack(), routes);

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('throttles the default stage', () => {
    const template = api(testStack(), routes, { throttle: { rateLimit: 10, burstLimit: 20 } });

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
  });

  it('outputs the API URL', () => {
    const template = api(testStack(), routes);

    template.hasOutput('*', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', Match.stringLikeRegexp('execute-api')])] },
    });
  });

  it('rejects a route that is not "<METHOD> /path"', () => {
    expect(() => api(testStack(), ['devices'])).toThrow(
      /function api: route 'devices' is not '<METHOD> \/path'/,
    );
  });

  it('rejects the same route declared twice', () => {
    expect(() => api(testStack(), ['GET /devices', 'GET /devices'])).toThrow(
      /function api: route 'GET \/devices' is declared twice/,
    );
  });
});
