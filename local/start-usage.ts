/**
 * What `npm start` tells a person: its usage (`npm start -- --help`), and a startup failure turned
 * into what to do about it (a port taken, the data folder held by another local cloud) instead of
 * an emulator's error text.
 */
import { defaultPorts, type LocalCloudPorts } from './cloud.ts';

/** The environment variable that sets each port (read by defaultPorts in cloud.ts). */
export const PORT_VARIABLES: Readonly<Record<keyof LocalCloudPorts, string>> = {
  mqtt: 'FLEETPULSE_MQTT_PORT',
  mqttAlpn: 'FLEETPULSE_MQTT_ALPN_PORT',
  api: 'FLEETPULSE_API_PORT',
  dynamodb: 'FLEETPULSE_DYNAMODB_PORT',
  sqsS3: 'FLEETPULSE_SQS_S3_PORT',
  iotData: 'FLEETPULSE_IOT_DATA_PORT',
};

export function startUsage(env: NodeJS.ProcessEnv = process.env): string {
  const ports = defaultPorts(env);
  const portLines = (Object.keys(PORT_VARIABLES) as Array<keyof LocalCloudPorts>).map(
    (key) =>
      `  ${PORT_VARIABLES[key].padEnd(26)} ${PORT_PURPOSE[key]} (now ${key === 'mqtt' && env.FLEETPULSE_MQTT_PORT === 'off' ? 'off' : ports[key]})`,
  );
  return [
    'Usage: npm start -- [options]',
    '',
    'Runs the local cloud (MQTT broker, operator API, DynamoDB, SQS, S3, IoT data plane and the',
    'Lambda handlers) on 127.0.0.1, plus a simulated fleet of real agents.',
    '',
    'Options:',
    '  --devices <n>     simulated devices (default 5, or FLEET_SIZE)',
    '  --no-fleet        the cloud only, no simulated devices',
    '  --no-analyzer     simulated devices without the session analyzer (to compare load)',
    '  --powered-off <n> the last n simulated devices power off after their first report, until a',
    '                    Wake-on-LAN command names them (default 0)',
    '  --log <level>     silent|error|warn|info|debug (default warn, or FLEETPULSE_LOG)',
    '  -h, --help        show this help and exit',
    '',
    'Environment:',
    '  FLEETPULSE_DATA_DIR        data folder, kept between runs (default .local-cloud/)',
    '  FLEET_SIZE                 as --devices',
    '  FLEETPULSE_LOG             as --log',
    ...portLines,
    '',
    'Then: npx fleetpulse devices list   (the CLI finds the cloud through <data dir>/endpoints.json)',
  ].join('\n');
}

const PORT_PURPOSE: Readonly<Record<keyof LocalCloudPorts, string>> = {
  mqtt: 'MQTT broker, mutual TLS; off: only the ALPN port',
  mqttAlpn: 'MQTT with ALPN x-amzn-mqtt-ca (443-style), else HTTPS',
  api: 'operator API',
  dynamodb: 'DynamoDB (dynalite)',
  sqsS3: 'SQS and S3',
  iotData: 'IoT data plane and Lambda Invoke API',
};

/** The error and its causes, outermost first. */
function chain(err: unknown): Array<{ message: string; code?: unknown; port?: unknown }> {
  const out: Array<{ message: string; code?: unknown; port?: unknown }> = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < 10; ) {
    if (e instanceof Error) {
      const { code, port } = e as { code?: unknown; port?: unknown };
      out.push({ message: e.message, code, port });
      e = e.cause;
    } else {
      out.push({ message: String(e) });
      break;
    }
  }
  return out;
}

/**
 * A startup failure as one actionable line, or undefined when it is none of the known cases (the
 * caller prints the error's own message then). `dataDir` is the folder the cloud tried to use.
 */
export function describeStartFailure(
  err: unknown,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  for (const { message, code, port } of chain(err)) {
    // A listen error carries the port; one relayed from a worker thread only in its message.
    const inUse = code === 'EADDRINUSE' || /EADDRINUSE/.test(message);
    if (inUse) {
      const busy = typeof port === 'number' ? port : Number(/:(\d+)\s*$/.exec(message)?.[1]);
      const ports = defaultPorts(env);
      const key = (Object.keys(PORT_VARIABLES) as Array<keyof LocalCloudPorts>).find(
        (k) => ports[k] === busy,
      );
      if (key === undefined) return `port ${busy} is in use — another local cloud running?`;
      const variable = PORT_VARIABLES[key];
      return `port ${busy} is in use (${variable}) — another local cloud running? stop it, or set ${variable} to another port`;
    }
    if (/in use by another local cloud|LEVEL_LOCKED|\/LOCK\b/.test(message) || code === 'LEVEL_LOCKED') {
      return `${dataDir} is in use by another local cloud — stop it first, or set FLEETPULSE_DATA_DIR to another folder`;
    }
  }
  return undefined;
}
