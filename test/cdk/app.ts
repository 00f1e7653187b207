/** A CDK App for construct tests: the feature flags of cdk.json, and no bundling (fast, no esbuild). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export function testApp(): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

export function testStack(): Stack {
  return new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
}

/** Absolute path of the stand-in handler entry. */
export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));
