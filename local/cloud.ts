/**
 * The local cloud: every AWS piece the handlers use, on 127.0.0.1, speaking the real wire protocols —
 * an MQTT broker with mutual TLS and the IoT policy's ACL, the rules engine, SQS event sources, the
 * IoT data plane, the operator API, DynamoDB (dynalite, on disk) and SQS/S3 (sqs-s3.ts, on disk). The
 * handler code of lambdas/ runs unchanged in worker threads of this process; only endpoints differ.
 *
 * One local cloud per process: handlers read their configuration from process.env.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { topics } from '#protocol/topics.ts';
import { type FunctionName, functions, type QueueName } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { startApiServer } from './api-server.ts';
import { ensureApiToken } from './api-token.ts';
import { type DevicePublish, type LocalBroker, startBroker } from './broker.ts';
import { type DevCa, ensureDevCa, issueServerCert } from './dev-ca.ts';
import { createTables, startDynamoDb } from './dynamodb.ts';
import { applyLambdaEnvironment, lambdaEnvironment } from './environment.ts';
import { startIotDataServer } from './iot-data-server.ts';
import { createLambdaInvokeApi } from './lambda-api.ts';
import { type HandlerOverrides, type LambdaRuntime, loadInProcessRuntime } from './lambda-runtime.ts';
import { startLambdaWorkers } from './lambda-workers.ts';
import { createLog, type LogLevel } from './log.ts';
import { disconnectStaleSessions } from './presence-reset.ts';
import { startQueuePoller } from './queue-poller.ts';
import { createRuleEngine } from './rule-engine.ts';
import { createBuckets, createQueues, type QueueRef, startSqsS3 } from './sqs-s3.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.local-cloud');
export const DEFAULT_REGION = 'eu-west-1';

export interface LocalCloudPorts {
  /** The 8883-style MQTT listener (MQTT with or without ALPN). */
  readonly mqtt: number;
  /** The 443-style MQTT listener: MQTT only with ALPN x-amzn-mqtt-ca, HTTPS (403 + Date) otherwise. */
  readonly mqttAlpn: number;
  readonly api: number;
  readonly dynamodb: number;
  /** SQS and S3 on one port. */
  readonly sqsS3: number;
  readonly iotData: number;
}

/** Fixed ports `npm start` uses; each can be overridden by an environment variable. */
export function defaultPorts(env: NodeJS.ProcessEnv = process.env): LocalCloudPorts {
  const port = (name: string, fallback: number): number => {
    const value = Number(env[name]);
    return env[name] && Number.isInteger(value) && value >= 0 && value < 65536 ? value : fallback;
  };
  return {
    mqtt: port('FLEETPULSE_MQTT_PORT', 8883),
    mqttAlpn: port('FLEETPULSE_MQTT_ALPN_PORT', 8443),
    api: port('FLEETPULSE_API_PORT', 3000),
    dynamodb: port('FLEETPULSE_DYNAMODB_PORT', 8000),
    sqsS3: port('FLEETPULSE_SQS_S3_PORT', 4566),
    iotData: port('FLEETPULSE_IOT_DATA_PORT', 8081),
  };
}

/**
 * Which MQTT listeners the broker opens: both, or only the 443-style one (a network where only 443
 * is open). `npm start` takes 'alpn-only' from FLEETPULSE_MQTT_PORT=off.
 */
export type MqttListeners = 'both' | 'alpn-only';

export function defaultMqttListeners(env: NodeJS.ProcessEnv = process.env): MqttListeners {
  return env.FLEETPULSE_MQTT_PORT === 'off' ? 'alpn-only' : 'both';
}

export interface LocalCloudOptions {
  /** @default defaultMqttListeners(): 'both' unless FLEETPULSE_MQTT_PORT=off */
  readonly mqttListeners?: MqttListeners;
  /** @default <repo>/.local-cloud */
  readonly dataDir?: string;
  /** 0 = ephemeral. @default defaultPorts() */
  readonly ports?: Partial<LocalCloudPorts>;
  /** A device whose heartbeats stop is shown offline after this long. @default 180 */
  readonly offlineGraceSec?: number;
  /** The local cloud's own log and the handlers' POWERTOOLS_LOG_LEVEL. @default 'warn' */
  readonly log?: LogLevel;
  /** Write `<dataDir>/endpoints.json`. @default false */
  readonly writeEndpointsFile?: boolean;
  /**
   * Replace wiring functions' handlers (tests of the local infrastructure itself). The handlers then
   * run in this thread, since functions cannot be sent to a worker.
   */
  readonly handlersOverride?: HandlerOverrides;
  /** Worker threads the handlers run in (ignored with handlersOverride). @default 1 */
  readonly lambdaWorkers?: number;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** Visibility timeout the queue pollers receive with (tests: failed messages reappear fast). @default each queue's own */
  readonly queueVisibilityTimeoutSec?: number;
  /** Delays before the two async-invoke retries of topic-rule functions. @default [200, 400] */
  readonly ruleRetryDelaysMs?: readonly number[];
}

export interface LocalCloudEndpoints {
  /** Where devices connect by default: the 8883-style listener, or the 443-style one when it is the only one. */
  readonly mqttUrl: string;
  /** The 443-style listener (needs ALPN x-amzn-mqtt-ca for MQTT; HTTPS with a Date header otherwise). */
  readonly mqttAlpnUrl: string;
  readonly apiUrl: string;
  readonly apiToken: string;
  readonly caCertPath: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly s3Endpoint: string;
  readonly iotDataEndpoint: string;
  /**
   * Lambda's Invoke API for `@aws-sdk/client-lambda` (functions are `fleetpulse-<wiring name>`). It
   * shares the IoT data plane's port: no extra port to configure, and tests' ephemeral ports cover it.
   */
  readonly lambdaEndpoint: string;
  /** Region the emulators were created in (queue ARNs carry it). */
  readonly region: string;
}

export interface LocalCloud {
  readonly endpoints: LocalCloudEndpoints;
  readonly ca: DevCa;
  readonly dataDir: string;
  readonly region: string;
  /** Queue URLs and ARNs by wiring name. */
  readonly queues: Record<QueueName, QueueRef>;
  /** The environment handlers run with (also applied to process.env). */
  readonly env: Readonly<Record<string, string>>;
  /** Invokes a wiring function directly, as Lambda's synchronous Invoke would. */
  invoke(functionName: FunctionName, event: unknown): Promise<unknown>;
  /** Publishes on the broker as the cloud (like the IoT data plane). */
  publish(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void>;
  /**
   * Calls `listener` for every message handlers send to devices through the IoT data plane, before
   * the Publish call returns. Returns the function that removes it.
   */
  onDataPlanePublish(listener: (topic: string, payload: Buffer) => void): () => void;
  /**
   * Calls `listener` for every device publish that passed authorization (what devices send, whether
   * a rule takes it or not), before the rules engine gets it. Returns the function that removes it.
   */
  onDevicePublish(listener: (message: DevicePublish) => void): () => void;
  /**
   * Resolves when every topic-rule invocation started so far (retries included) and every Event
   * invocation through the Invoke API has settled.
   */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

let running = false;

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  if (running)
    throw new Error('a local cloud is already running in this process (handlers share process.env)');
  running = true;
  const cleanups: Array<() => Promise<void>> = [];
  const unwind = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const cloud = await start(options, cleanups);
    return {
      ...cloud,
      async stop() {
        await unwind();
        running = false;
      },
    };
  } catch (err) {
    await unwind();
    running = false;
    throw err;
  }
}

async function start(
  options: LocalCloudOptions,
  cleanups: Array<() => Promise<void>>,
): Promise<Omit<LocalCloud, 'stop'>> {
  // Node 20 is supported here; the SDK's advance notice about 2027 is noise in a dev console.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = createLog(options.log ?? 'warn');
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const region = options.region ?? DEFAULT_REGION;
  const ports = { ...defaultPorts(), ...options.ports };
  await mkdir(dataDir, { recursive: true });

  const caDir = join(dataDir, 'ca');
  const ca = await ensureDevCa(caDir);
  const serverCert = await issueServerCert(ca);
  const apiToken = await ensureApiToken(join(dataDir, 'api-token'));

  const dynamodb = await startDynamoDb({ dir: join(dataDir, 'dynamodb'), port: ports.dynamodb });
  cleanups.push(() => dynamodb.stop());
  const sqsS3 = await startSqsS3({ port: ports.sqsS3, region, dir: join(dataDir, 'sqs-s3'), log });
  cleanups.push(() => sqsS3.stop());

  const clientConfig = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const ddbClient = new DynamoDBClient({ ...clientConfig, endpoint: dynamodb.endpoint });
  const sqsClient = new SQSClient({
    ...clientConfig,
    endpoint: sqsS3.endpoint,
    useQueueUrlAsEndpoint: false,
  });
  const s3Client = new S3Client({ ...clientConfig, endpoint: sqsS3.endpoint, forcePathStyle: true });
  cleanups.push(async () => {
    ddbClient.destroy();
    sqsClient.destroy();
    s3Client.destroy();
  });
  await createTables(ddbClient);
  const queues = await createQueues(sqsClient);
  await createBuckets(s3Client);

  // The data plane starts before the broker: handlers need its URL in their environment at import.
  let broker: LocalBroker | undefined;
  // Invoke requests are served once the handlers are loaded (below); the server starts before them.
  let invokable: LambdaRuntime | undefined;
  const lambdaApi = createLambdaInvokeApi({
    region,
    log,
    invoke: async (name, event) => {
      if (!invokable) throw new Error('the handlers are not loaded yet');
      return invokable.invoke(name, event);
    },
  });
  const dataPlaneListeners = new Set<(topic: string, payload: Buffer) => void>();
  const iotData = await startIotDataServer({
    port: ports.iotData,
    log,
    routes: [lambdaApi],
    publish: async (topic, payload, publishOptions) => {
      if (!broker) throw new Error('broker not started');
      await broker.publish(topic, payload, publishOptions);
      for (const listener of dataPlaneListeners) listener(topic, payload);
    },
  });
  cleanups.push(() => iotData.stop());

  const env = lambdaEnvironment({
    region,
    dynamodbEndpoint: dynamodb.endpoint,
    sqsS3Endpoint: sqsS3.endpoint,
    iotDataEndpoint: iotData.endpoint,
    queues,
    logLevel: options.log ?? 'warn',
    offlineGraceSec: options.offlineGraceSec ?? 180,
  });
  applyLambdaEnvironment(env);
  const runtime = options.handlersOverride
    ? await loadInProcessRuntime({ repoRoot: REPO_ROOT, region, log, overrides: options.handlersOverride })
    : await startLambdaWorkers({
        repoRoot: REPO_ROOT,
        region,
        log,
        ...(options.lambdaWorkers === undefined ? {} : { count: options.lambdaWorkers }),
      });
  // Runs after everything that invokes (cleanups run in reverse) has drained.
  cleanups.push(() => runtime.close());
  invokable = runtime;
  // Event invocations still running finish before the emulators they write to stop.
  cleanups.push(() => lambdaApi.idle());

  const rules = createRuleEngine({
    runtime,
    sqs: sqsS3.queueClient,
    queues,
    log,
    ...(options.ruleRetryDelaysMs ? { retryDelaysMs: options.ruleRetryDelaysMs } : {}),
  });
  cleanups.push(() => rules.idle());

  for (const [name, spec] of Object.entries(functions) as Array<[FunctionName, FunctionSpec]>) {
    const trigger = spec.trigger;
    if (trigger.kind !== 'queue' && trigger.kind !== 'topic-rule-queue') continue;
    const poller = startQueuePoller({
      functionName: name,
      // The composition refuses a trigger naming an undeclared queue.
      queue: queues[trigger.queue as QueueName],
      batchSize: trigger.batchSize,
      concurrency: trigger.maxConcurrency,
      maxBatchingWindowSec: trigger.maxBatchingWindowSec,
      runtime,
      sqs: sqsS3.queueClient,
      region,
      log,
      ...(options.queueVisibilityTimeoutSec === undefined
        ? {}
        : { visibilityTimeoutSec: options.queueVisibilityTimeoutSec }),
    });
    cleanups.push(() => poller.stop());
  }

  const stale = await disconnectStaleSessions(ddbClient, rules);
  if (stale > 0)
    log.info(`${stale} device(s) were connected when the cloud stopped: recorded as disconnected`);

  const devicePublishListeners = new Set<(message: DevicePublish) => void>();
  const alpnOnly = (options.mqttListeners ?? defaultMqttListeners()) === 'alpn-only';
  const startedBroker = await startBroker({
    port: alpnOnly ? null : ports.mqtt,
    alpnPort: ports.mqttAlpn,
    ca,
    serverCert,
    log,
    onDevicePublish: (message) => {
      for (const listener of devicePublishListeners) listener(message);
      return rules.dispatch(message);
    },
    onLifecycle: (event) =>
      rules.dispatch({
        topic: topics.presence(event.eventType, event.clientId),
        payload: Buffer.from(JSON.stringify(event)),
      }),
  });
  broker = startedBroker;
  // Stopping the broker emits the devices' disconnect events; the rule engine then drains them.
  cleanups.push(() => startedBroker.stop());

  const api = await startApiServer({ port: ports.api, token: apiToken, runtime, log });
  cleanups.push(() => api.stop());

  const mqttAlpnUrl = startedBroker.alpnUrl;
  if (mqttAlpnUrl === undefined) throw new Error('the broker did not open its 443-style listener');
  const endpoints: LocalCloudEndpoints = {
    mqttUrl: startedBroker.url ?? mqttAlpnUrl,
    mqttAlpnUrl,
    apiUrl: api.url,
    apiToken,
    caCertPath: join(caDir, 'ca.pem'),
    dynamodbEndpoint: dynamodb.endpoint,
    sqsEndpoint: sqsS3.endpoint,
    s3Endpoint: sqsS3.endpoint,
    iotDataEndpoint: iotData.endpoint,
    lambdaEndpoint: iotData.endpoint,
    region,
  };
  if (options.writeEndpointsFile) {
    await writeFile(join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`, {
      mode: 0o600,
    });
  }
  log.info(
    `local cloud up: MQTT ${startedBroker.url ?? '(no 8883-style listener)'}, MQTT/ALPN ${mqttAlpnUrl}, API ${endpoints.apiUrl}`,
  );

  return {
    endpoints,
    ca,
    dataDir,
    region,
    queues,
    env,
    invoke: (name, event) => runtime.invoke(name, event),
    publish: (topic, payload, publishOptions) =>
      startedBroker.publish(
        topic,
        typeof payload === 'string' ? Buffer.from(payload) : payload,
        publishOptions,
      ),
    onDataPlanePublish: (listener) => {
      dataPlaneListeners.add(listener);
      return () => dataPlaneListeners.delete(listener);
    },
    onDevicePublish: (listener) => {
      devicePublishListeners.add(listener);
      return () => devicePublishListeners.delete(listener);
    },
    idle: async () => {
      await rules.idle();
      await lambdaApi.idle();
    },
  };
}
