/**
 * Operator API: an HTTP API whose routes come from the 'api' triggers of the wiring (wiring/fleet.ts; one function per API feature). Every
 * route requires SigV4-signed requests (IAM authorization); the stage logs every request and throttles.
 */
import { CfnOutput } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerBinding } from './functions.ts';
import { pascal } from './names.ts';

export interface ThrottleProps {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst of requests above the rate. */
  readonly burstLimit: number;
}

export interface OperatorApiProps {
  /** Handlers by wiring name; only those with an 'api' trigger get routes. */
  readonly handlers: Readonly<Record<string, HandlerBinding>>;
  /**
   * Default stage throttling.
   * @default - 50 requests/s, bursts of 100
   */
  readonly throttle?: ThrottleProps;
  /**
   * How long access logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: RetentionDays;
}

const ROUTE = /^([A-Z]+) (\/[A-Za-z0-9._~{}/+-]*)$/;
const METHODS = new Set<string>(Object.values(HttpMethod));

export class OperatorApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** Base URL of the API (default stage). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    if (!(throttle.rateLimit > 0) || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
      throw new Error(`OperatorApi: throttle needs rateLimit > 0 and an integer burstLimit >= 1`);
    }

    this.api = new HttpApi(this, 'Api', {
      description: 'fleetpulse operator API',
      // Every route, present and future, needs SigV4: no route can be added unauthenticated by mistake.
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;

    const seen = new Set<string>();
    for (const [name, { spec, handler }] of Object.entries(props.handlers)) {
      if (spec.trigger.kind !== 'api') continue;
      const integration = new HttpLambdaIntegration(`${pascal(name)}Integration`, handler);
      for (const route of spec.trigger.routes) {
        const { method, path } = parseRoute(name, route);
        if (seen.has(`${method} ${path}`))
          throw new Error(`function ${name}: route '${route}' is declared twice`);
        seen.add(`${method} ${path}`);
        this.api.addRoutes({ path, methods: [method], integration });
      }
    }

    new CfnOutput(this, 'Url', {
      description: 'Operator API base URL (SigV4-signed requests)',
      value: this.url,
    });
  }
}

function parseRoute(fn: string, route: string): { method: HttpMethod; path: string } {
  const match = ROUTE.exec(route);
  const method = match?.[1];
  const path = match?.[2];
  if (method === undefined || path === undefined || !METHODS.has(method) || method === HttpMethod.ANY) {
    throw new Error(`function ${fn}: route '${route}' is not '<METHOD> /path' with a single HTTP method`);
  }
  return { method: method as HttpMethod, path };
}

/** HTTP API context variables: who called (IAM identity), what, and how it went. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userArn: '$context.identity.userArn',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};
