/**
 * The CDK app: the same fleetpulse stack in every region of `fleetpulse:regions`, checked by the
 * cdk-nag AwsSolutions rules. Synthesizes without AWS credentials (no lookups).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FleetPulseStack } from '#lib/fleetpulse-stack.ts';

const DEFAULT_REGIONS = ['eu-west-1', 'sa-east-1'];
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

const app = new App();
const regions = contextList(app, 'fleetpulse:regions') ?? DEFAULT_REGIONS;
const prefix = (app.node.tryGetContext('fleetpulse:stackPrefix') as string | undefined) ?? 'FleetPulse';

for (const region of regions) {
  new FleetPulseStack(app, `${prefix}-${region}`, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
    description: `fleetpulse device backend (${region})`,
  });
}

// cdk-nag 3 is a policy-validation plugin: Aspects.of(app).add(...) no longer applies it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** Context from cdk.json is a JSON array; from `-c key=a,b` it is a string. */
function contextList(scope: App, key: string): string[] | undefined {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const list = typeof raw === 'string' ? raw.split(',').map((value) => value.trim()) : raw;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((r) => typeof r === 'string' && REGION.test(r))
  ) {
    throw new Error(`context ${key} must be a non-empty list of AWS regions, got ${JSON.stringify(raw)}`);
  }
  return list as string[];
}
