/**
 * The account's IoT data-plane endpoint (iot:Data-ATS), looked up once per stack at deploy time:
 * it differs per account and region and CloudFormation has no attribute for it.
 */
import { Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

const ID = 'IotDataEndpoint';

export class IotDataEndpoint extends Construct {
  /** The stack's endpoint lookup, created on first use. */
  static of(scope: Construct): IotDataEndpoint {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ID);
    return existing instanceof IotDataEndpoint ? existing : new IotDataEndpoint(stack, ID);
  }

  /** `https://<prefix>-ats.iot.<region>.amazonaws.com`, resolved at deploy time. */
  readonly url: string;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    // Own role instead of AWSLambdaBasicExecutionRole: logs may go to this lookup's log group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const describeEndpoint = {
      service: 'IoT',
      action: 'DescribeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      physicalResourceId: PhysicalResourceId.of('iot-data-ats-endpoint'),
    };
    const lookup = new AwsCustomResource(this, 'Lookup', {
      onCreate: describeEndpoint,
      onUpdate: describeEndpoint,
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      role,
      logGroup,
      // The runtime's SDK has DescribeEndpoint; installing the latest one needs network at deploy time.
      installLatestAwsSdk: false,
    });
    acknowledge(
      lookup,
      'AwsSolutions-IAM5[Resource::*]',
      'iot:DescribeEndpoint supports no resource-level permissions; it is the only action granted.',
    );
    this.url = `https://${lookup.getResponseField('endpointAddress')}`;
  }
}
