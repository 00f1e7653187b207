/**
 * `fleetpulse devices register`: give a device its identity and an agent.json pointing at its
 * region. Local: a certificate from the local cloud's dev CA. AWS: an IoT thing, a certificate
 * created by IoT Core, the device policy attached.
 */
import { access, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { AgentConfigInput } from '#agent/config.ts';
import { ensureDevCa, issueDeviceCert } from '#local/public.ts';
import { mqttEndpointOf, readLocalEndpoints } from './local-cloud.ts';

/** The IoT policy the stack creates; the stack exports its name as the FleetPulseDevicePolicy output. */
export const DEFAULT_DEVICE_POLICY = 'FleetPulseDevicePolicy';

export interface RegisteredDevice {
  readonly dir: string;
  readonly config: AgentConfigInput;
}

/** Refuses to overwrite a device folder (checked before any certificate is created). */
export async function assertNewDeviceFolder(dir: string, force: boolean): Promise<void> {
  const configPath = join(dir, 'agent.json');
  if (
    !force &&
    (await access(configPath).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(`${configPath} already exists (use --force to replace that identity)`);
  }
}

async function writeDeviceFolder(
  dir: string,
  files: { certPem: string; keyPem: string },
  config: AgentConfigInput,
  force: boolean,
): Promise<RegisteredDevice> {
  const configPath = join(dir, 'agent.json');
  await assertNewDeviceFolder(dir, force);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'key.pem'), files.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'cert.pem'), files.certPem);
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, config };
}

export async function registerLocal(input: {
  deviceId: string;
  out: string;
  localCloudDir: string;
  region: string;
  force: boolean;
}): Promise<RegisteredDevice> {
  const endpoints = await readLocalEndpoints(input.localCloudDir);
  const caPath = endpoints.caCertPath ?? join(input.localCloudDir, 'ca', 'ca.pem');
  const ca = await ensureDevCa(dirname(caPath));
  const issued = await issueDeviceCert(ca, input.deviceId);
  const { host, port } = mqttEndpointOf(endpoints.mqttUrl);
  // The 443-style listener answers HTTPS without ALPN: where diagnose reads the cloud's clock.
  const alpnPort =
    endpoints.mqttAlpnUrl === undefined ? undefined : mqttEndpointOf(endpoints.mqttAlpnUrl).port;
  await mkdir(input.out, { recursive: true });
  await copyFile(caPath, join(input.out, 'ca.pem'));
  return writeDeviceFolder(
    input.out,
    issued,
    {
      deviceId: input.deviceId,
      region: input.region,
      endpoint: host,
      port,
      ...(alpnPort === undefined ? {} : { httpsPort: alpnPort }),
      // A cloud started with FLEETPULSE_MQTT_PORT=off has only that listener: MQTT there needs ALPN.
      ...(alpnPort === port ? { alpn: true } : {}),
      certPath: 'cert.pem',
      keyPath: 'key.pem',
      caPath: 'ca.pem',
      dataDir: 'data',
    },
    input.force,
  );
}

export async function registerAws(input: {
  deviceId: string;
  out: string;
  region: string;
  policyName: string;
  force: boolean;
  log: (line: string) => void;
}): Promise<RegisteredDevice> {
  const iot = new IoTClient({ region: input.region });
  const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  if (!endpointAddress) throw new Error(`IoT returned no iot:Data-ATS endpoint in ${input.region}`);
  await iot.send(new CreateThingCommand({ thingName: input.deviceId }));
  input.log(`thing ${input.deviceId} created (or already present)`);
  const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const { certificateArn, certificateId, certificatePem } = keys;
  const keyPem = keys.keyPair?.PrivateKey;
  if (!certificateArn || !certificateId || !certificatePem || !keyPem) {
    throw new Error('IoT did not return a complete certificate and key pair');
  }
  let policyAttached = false;
  try {
    await iot.send(new AttachPolicyCommand({ policyName: input.policyName, target: certificateArn }));
    policyAttached = true;
    await iot.send(new AttachThingPrincipalCommand({ thingName: input.deviceId, principal: certificateArn }));
    input.log(`certificate ${certificateId} active, policy ${input.policyName} attached`);
    return await writeDeviceFolder(
      input.out,
      { certPem: certificatePem, keyPem },
      {
        deviceId: input.deviceId,
        region: input.region,
        endpoint: endpointAddress,
        port: 8883,
        certPath: 'cert.pem',
        keyPath: 'key.pem',
        dataDir: 'data',
      },
      input.force,
    );
  } catch (err) {
    // Leave no active certificate behind that nobody holds the key of.
    if (policyAttached) {
      await iot
        .send(new DetachPolicyCommand({ policyName: input.policyName, target: certificateArn }))
        .catch(() => undefined);
    }
    await iot
      .send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }))
      .then(() => iot.send(new DeleteCertificateCommand({ certificateId })))
      .catch(() => input.log(`could not delete certificate ${certificateId}; deactivate it by hand`));
    throw err;
  }
}
