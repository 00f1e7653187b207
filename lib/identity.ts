/**
 * Device identity: the IoT policy every device certificate is attached to. Thing-name policy variables
 * confine a device to its own topics, so one stolen certificate cannot read or forge another device's
 * traffic. The topics come from protocol/topics.ts, whose `deviceAcl` enforces the same rule in the
 * local broker.
 */
import { Aws, CfnOutput, Token } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { devicePolicyResources } from '#protocol/topics.ts';

export interface DeviceIdentityProps {
  /**
   * Name of the IoT policy attached to device certificates.
   * IoT policies are regional and the stack is one per region, so a fixed name lets
   * `fleetpulse devices register --target aws` attach it without looking up stack outputs.
   * @default 'FleetPulseDevicePolicy'
   */
  readonly policyName?: string;
}

/** IoT resource names use the thing name the certificate is attached to, never a client-chosen id. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, resolved by IoT Core, not by JS.
const THING = '${iot:Connection.Thing.ThingName}';
export const DEFAULT_DEVICE_POLICY_NAME = 'FleetPulseDevicePolicy';
const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;

export class DeviceIdentity extends Construct {
  /** The IoT policy name, to attach to each device certificate at provisioning. */
  readonly policyName: string;

  constructor(scope: Construct, id: string, props: DeviceIdentityProps = {}) {
    super(scope, id);
    this.policyName = props.policyName ?? DEFAULT_DEVICE_POLICY_NAME;
    if (!Token.isUnresolved(this.policyName) && !POLICY_NAME_PATTERN.test(this.policyName)) {
      throw new Error(`DeviceIdentity: policyName '${this.policyName}' must match ${POLICY_NAME_PATTERN}`);
    }

    const iotArn = (resource: string) =>
      `arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    const deviceTopics = devicePolicyResources(THING);
    const policy = new CfnPolicy(this, 'DevicePolicy', {
      policyName: this.policyName,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            // The client id must equal the thing name, so a certificate connects as its own device only.
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: iotArn(`client/${THING}`),
          },
          {
            // Each device → cloud topic, directly and through its Basic Ingest rule ($aws/rules/<rule>/...).
            Effect: 'Allow',
            Action: 'iot:Publish',
            Resource: deviceTopics.publish.map((topic) => iotArn(`topic/${topic}`)),
          },
          {
            Effect: 'Allow',
            Action: 'iot:Subscribe',
            Resource: deviceTopics.subscribe.map((topic) => iotArn(`topicfilter/${topic}`)),
          },
          {
            Effect: 'Allow',
            Action: 'iot:Receive',
            Resource: deviceTopics.subscribe.map((topic) => iotArn(`topic/${topic}`)),
          },
        ],
      },
    });

    new CfnOutput(this, 'DevicePolicyName', {
      description: 'IoT policy to attach to every device certificate',
      value: policy.ref,
    });
  }
}
