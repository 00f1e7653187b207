/**
 * Starts a whole local cloud for one test file: a fresh temp data dir, ephemeral ports, quiet logs.
 *
 *   const t = await startTestCloud();
 *   const device = await t.deviceClient('dev-001');
 *   ...
 *   await t.cleanup();
 *
 * One cloud per test file (per process): handlers read their configuration from process.env.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  type LocalCloud,
  type LocalCloudEndpoints,
  type LocalCloudOptions,
  type LocalCloudPorts,
  startLocalCloud,
} from '#local/cloud.ts';
import { type IssuedCert, issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import type { HandlerOverrides, LambdaHandler } from '#local/lambda-runtime.ts';
import { type FunctionName, functions } from '#wiring/fleet.ts';

export type TestCloudOptions = Omit<LocalCloudOptions, 'ports' | 'writeEndpointsFile'>;

export interface DeviceClientOptions {
  /** MQTT client id; @default the device id (a different one is refused by the broker). */
  readonly clientId?: string;
  /** @default a certificate issued by the cloud's dev CA for the device id */
  readonly cert?: IssuedCert;
  /** Extra mqtt.js options (protocolVersion is 4: the broker speaks MQTT 3.1.1). */
  readonly mqtt?: IClientOptions;
}

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

export interface TestCloud {
  /** The running cloud (a new object after restart()). */
  readonly cloud: LocalCloud;
  readonly endpoints: LocalCloudEndpoints;
  readonly dataDir: string;
  /** SDK clients pointed at the emulators (rebuilt after restart()). */
  readonly aws: AwsClients;
  /** A certificate for `deviceId` from the cloud's dev CA (cached per device). */
  deviceCert(deviceId: string): Promise<IssuedCert>;
  /** A connected mqtt.js client authenticated as `deviceId`; ended by cleanup(). */
  deviceClient(deviceId: string, options?: DeviceClientOptions): Promise<MqttClient>;
  /** Stops and starts the cloud on the same data dir and ports (to prove what persists). */
  restart(): Promise<void>;
  /** Ends device clients, stops the cloud, deletes the data dir. */
  cleanup(): Promise<void>;
}

/** Every wiring function replaced by a no-op, then `overrides` applied: tests of local/ itself. */
export function stubHandlers(overrides: HandlerOverrides = {}): HandlerOverrides {
  const noop: LambdaHandler = async () => undefined;
  const all: HandlerOverrides = {};
  for (const name of Object.keys(functions) as FunctionName[]) all[name] = overrides[name] ?? noop;
  return all;
}

const EPHEMERAL: LocalCloudPorts = { mqtt: 0, mqttAlpn: 0, api: 0, dynamodb: 0, sqsS3: 0, iotData: 0 };

function portsOf(endpoints: LocalCloudEndpoints): LocalCloudPorts {
  const port = (url: string): number => Number(new URL(url).port);
  return {
    mqtt: port(endpoints.mqttUrl),
    mqttAlpn: port(endpoints.mqttAlpnUrl),
    api: port(endpoints.apiUrl),
    dynamodb: port(endpoints.dynamodbEndpoint),
    sqsS3: port(endpoints.sqsEndpoint),
    iotData: port(endpoints.iotDataEndpoint),
  };
}

function awsClients(cloud: LocalCloud): AwsClients {
  const config = { region: cloud.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: cloud.endpoints.dynamodbEndpoint });
  return {
    dynamodb,
    ddb: DynamoDBDocumentClient.from(dynamodb),
    sqs: new SQSClient({ ...config, endpoint: cloud.endpoints.sqsEndpoint, useQueueUrlAsEndpoint: false }),
    s3: new S3Client({ ...config, endpoint: cloud.endpoints.s3Endpoint, forcePathStyle: true }),
  };
}

function destroyClients(aws: AwsClients): void {
  aws.dynamodb.destroy();
  aws.sqs.destroy();
  aws.s3.destroy();
}

export async function startTestCloud(options: TestCloudOptions = {}): Promise<TestCloud> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'fleetpulse-cloud-')));
  const cloudOptions: LocalCloudOptions = { log: 'silent', ...options, dataDir };
  let cloud = await startLocalCloud({ ...cloudOptions, ports: EPHEMERAL });
  let aws = awsClients(cloud);
  const certs = new Map<string, IssuedCert>();
  const clients = new Set<MqttClient>();

  const deviceCert = async (deviceId: string): Promise<IssuedCert> => {
    let cert = certs.get(deviceId);
    if (!cert) {
      cert = await issueDeviceCert(cloud.ca, deviceId);
      certs.set(deviceId, cert);
    }
    return cert;
  };

  return {
    get cloud() {
      return cloud;
    },
    get endpoints() {
      return cloud.endpoints;
    },
    get aws() {
      return aws;
    },
    dataDir,
    deviceCert,
    async deviceClient(deviceId, clientOptions = {}) {
      const cert = clientOptions.cert ?? (await deviceCert(deviceId));
      const client = await connectDeviceClient(
        { mqttUrl: cloud.endpoints.mqttUrl, ca: cloud.ca },
        deviceId,
        cert,
        { ...(clientOptions.clientId ? { clientId: clientOptions.clientId } : {}), ...clientOptions.mqtt },
      );
      clients.add(client);
      client.once('end', () => clients.delete(client));
      return client;
    },
    async restart() {
      const ports = portsOf(cloud.endpoints);
      destroyClients(aws);
      await cloud.stop();
      cloud = await startLocalCloud({ ...cloudOptions, ports });
      aws = awsClients(cloud);
    },
    async cleanup() {
      await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
      destroyClients(aws);
      await cloud.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * How a simulated fleet reaches this test cloud: its broker, CA, identities issued by the cloud's dev
 * CA, kept under the cloud's data dir. Spread into startSimulatedFleet's options.
 */
export function fleetConnection(t: TestCloud) {
  return {
    mqttUrl: t.endpoints.mqttUrl,
    caCertPath: t.endpoints.caCertPath,
    issueIdentity: (deviceId: string) => issueDeviceCert(t.cloud.ca, deviceId),
    identityDir: `${t.dataDir}/fleet`,
  };
}
