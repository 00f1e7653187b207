/** What the Lambda runtime hands a handler besides the event. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '#wiring/functions.ts';

export const LOCAL_ACCOUNT_ID = '000000000000';

export function lambdaFunctionName(name: string): string {
  return `fleetpulse-${name}`;
}

export function buildLambdaContext(name: string, spec: FunctionSpec, region: string): Context {
  const functionName = lambdaFunctionName(name);
  const deadline = Date.now() + spec.timeoutSec * 1000;
  const unsupported = (what: string) => (): never => {
    throw new Error(`context.${what}() is not supported: return a value or a promise`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${new Date().toISOString().slice(0, 10)}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
