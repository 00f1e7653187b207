/**
 * `npm start`: the local cloud on fixed ports, plus a simulated fleet of real agents.
 *
 *   npm start                      cloud + 5 simulated devices
 *   npm start -- --devices 50      cloud + 50 devices (or FLEET_SIZE=50)
 *   npm start -- --no-fleet        the cloud only
 *   npm start -- --powered-off 1   the last device powers off until woken (Wake-on-LAN demo)
 *   npm start -- --log info        more output (silent|error|warn|info|debug; or FLEETPULSE_LOG)
 *   npm start -- --help            options and environment variables
 *
 * Ports: FLEETPULSE_MQTT_PORT, FLEETPULSE_API_PORT, FLEETPULSE_DYNAMODB_PORT, FLEETPULSE_SQS_S3_PORT,
 * FLEETPULSE_IOT_DATA_PORT (which also serves Lambda's Invoke API), FLEETPULSE_MQTT_ALPN_PORT (MQTT
 * with ALPN x-amzn-mqtt-ca, like IoT Core's 443; FLEETPULSE_MQTT_PORT=off leaves only this one). Data stays in .local-cloud/ (or FLEETPULSE_DATA_DIR) between runs.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { handleStopSignals } from '#agent/stop-signals.ts';
import { DEFAULT_DATA_DIR, type LocalCloud, REPO_ROOT, startLocalCloud } from './cloud.ts';
import {
  type FleetProcess,
  fleetHeartbeatIntervalSec,
  fleetInventoryIntervalMs,
  simulatedAnalyzerIntervals,
  startFleetProcess,
} from './fleet.ts';
import type { LogLevel } from './log.ts';
import { describeStartFailure, startUsage } from './start-usage.ts';

/** Signals within this long of the first are taken as the same Ctrl-C, not as a demand to force. */
const REPEATED_SIGNAL_GRACE_MS = 2_000;

const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

interface Settings {
  fleetSize: number;
  poweredOff: number;
  analyzer: boolean;
  logLevel: LogLevel;
  help: boolean;
}

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string' },
      'no-fleet': { type: 'boolean', default: false },
      'no-analyzer': { type: 'boolean', default: false },
      'powered-off': { type: 'string' },
      log: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  const size = values['no-fleet'] ? 0 : Number(values.devices ?? process.env.FLEET_SIZE ?? 5);
  if (!Number.isInteger(size) || size < 0)
    throw new Error(`--devices must be a whole number, got ${values.devices}`);
  const poweredOff = Number(values['powered-off'] ?? 0);
  if (!Number.isInteger(poweredOff) || poweredOff < 0 || poweredOff > size)
    throw new Error(
      `--powered-off must be a whole number up to --devices (${size}), got ${values['powered-off']}`,
    );
  const logLevel = (values.log ?? process.env.FLEETPULSE_LOG ?? 'warn') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`--log must be one of ${LOG_LEVELS.join(', ')}`);
  return { fleetSize: size, poweredOff, analyzer: !values['no-analyzer'], logLevel, help: values.help };
}

function analyzerLine({
  sampleIntervalSec,
  uploadIntervalSec,
}: ReturnType<typeof simulatedAnalyzerIntervals>) {
  return `  Its analyzers sample user sessions every ${sampleIntervalSec} s and send a batch per session every ${uploadIntervalSec} s${uploadIntervalSec <= 60 ? ': sessions show up within a minute' : ' (at most ~20 batches/s in all)'}.`;
}

function banner(cloud: LocalCloud, fleet: FleetProcess | undefined): string {
  const deviceIds = fleet?.deviceIds ?? [];
  const e = cloud.endpoints;
  const rel = (path: string): string => relative(process.cwd(), path) || '.';
  return [
    '',
    'fleetpulse local cloud is running.',
    '',
    e.mqttUrl === e.mqttAlpnUrl
      ? `  MQTT broker (mutual TLS)   (no 8883-style listener: FLEETPULSE_MQTT_PORT=off)   CA: ${rel(e.caCertPath)}`
      : `  MQTT broker (mutual TLS)   ${e.mqttUrl}   CA: ${rel(e.caCertPath)}`,
    `  MQTT, 443-style (ALPN)     ${e.mqttAlpnUrl}   (MQTT with ALPN x-amzn-mqtt-ca, else HTTPS 403)`,
    `  Operator API               ${e.apiUrl}`,
    `  API token                  ${e.apiToken}`,
    `  IoT data plane             ${e.iotDataEndpoint}`,
    `  Lambda Invoke API          ${e.lambdaEndpoint}   (functions: fleetpulse-<name>)`,
    `  DynamoDB (dynalite)        ${e.dynamodbEndpoint}`,
    `  SQS + S3 (on disk)         ${e.sqsEndpoint}`,
    `  Endpoints file             ${rel(join(cloud.dataDir, 'endpoints.json'))}`,
    '',
    deviceIds.length > 0
      ? [
          `Simulated fleet: ${deviceIds.length} device(s) (${deviceIds.slice(0, 3).join(', ')}${deviceIds.length > 3 ? ', ...' : ''}), ${fleet?.online ?? 0} connected so far.`,
          `  Each collects inventory every ${Math.round(fleetInventoryIntervalMs(deviceIds.length) / 1000)} s and heartbeats every ${fleetHeartbeatIntervalSec(deviceIds.length)} s`,
          '  (slower for large fleets: at most ~10 reports/s and ~17 heartbeats/s in all, what two cores sustain).',
          fleet?.analyzer === false
            ? '  Its analyzers are off (--no-analyzer).'
            : analyzerLine(simulatedAnalyzerIntervals(deviceIds.length)),
          ...(fleet !== undefined && fleet.poweredOff.length > 0
            ? [
                `  Powered off until woken: ${fleet.poweredOff.join(', ')} (each simulated device is a Wake-on-LAN bridge`,
                '  that reports what it would send and sends nothing; a wake-relay naming these powers them on).',
              ]
            : []),
        ].join('\n')
      : 'No simulated fleet (--no-fleet).',
    '',
    'Try:',
    `  curl -H "Authorization: Bearer ${e.apiToken}" ${e.apiUrl}/devices`,
    '  npx fleetpulse devices list',
    '  npx fleetpulse dlq list',
    '',
    'Register and run a real agent on this machine:',
    '  npx fleetpulse devices register <device-id> --out <dir>',
    '  npx fleetpulse-agent run --config <dir>/agent.json',
    '',
    'Ctrl-C stops everything; the data stays for the next start (even after a crash or kill -9).',
    '',
  ].join('\n');
}

const dataDir = process.env.FLEETPULSE_DATA_DIR ? resolve(process.env.FLEETPULSE_DATA_DIR) : DEFAULT_DATA_DIR;

async function main(): Promise<void> {
  const { fleetSize, poweredOff, analyzer, logLevel, help } = settings();
  if (help) {
    console.log(startUsage());
    return;
  }
  // Installed first: a Ctrl-C during startup stops the cloud as soon as it is up.
  const stopSignals = handleStopSignals({
    repeatGraceMs: REPEATED_SIGNAL_GRACE_MS,
    onStopping: (signal) =>
      console.log(`\n${signal}: stopping the fleet, then the cloud... (Ctrl-C again to force)`),
    onForced: () =>
      console.error('\nForced exit before the stop finished; everything acknowledged is already on disk.'),
    onStopFailed: (err) => console.error('Error while stopping:', err),
  });
  // Two handler threads: with the fleet in its own process, they use the cores the broker leaves idle.
  const cloud = await startLocalCloud({ dataDir, writeEndpointsFile: true, log: logLevel, lambdaWorkers: 2 });
  let stopFleet = async (): Promise<void> => {};
  let fleet: FleetProcess | undefined;
  try {
    if (fleetSize > 0) {
      // Its own process: the agents' TLS and report compression run on the other core.
      fleet = await startFleetProcess({
        count: fleetSize,
        mqttUrl: cloud.endpoints.mqttUrl,
        ...(cloud.endpoints.mqttUrl === cloud.endpoints.mqttAlpnUrl ? { alpn: true } : {}),
        caCertPath: cloud.endpoints.caCertPath,
        caDir: dirname(cloud.endpoints.caCertPath),
        identityDir: join(cloud.dataDir, 'fleet'),
        inventoryIntervalMs: fleetInventoryIntervalMs(fleetSize),
        heartbeatIntervalSec: fleetHeartbeatIntervalSec(fleetSize),
        ...(analyzer ? { analyzer: simulatedAnalyzerIntervals(fleetSize) } : {}),
        log: logLevel === 'info' || logLevel === 'debug' ? 'info' : 'silent',
        ...(poweredOff > 0 ? { poweredOff } : {}),
      });
      stopFleet = () => fleet?.stop() ?? Promise.resolve();
    }
  } catch (err) {
    await cloud.stop();
    throw err;
  }
  console.log(banner(cloud, fleet));

  stopSignals.started(async () => {
    await stopFleet();
    await cloud.stop();
    console.log('Stopped. Data kept in', relative(REPO_ROOT, cloud.dataDir) || cloud.dataDir);
  });
}

main().catch((err: unknown) => {
  const why = describeStartFailure(err, dataDir) ?? (err instanceof Error ? err.message : String(err));
  console.error(`local cloud failed to start: ${why}`);
  if (err instanceof TypeError && 'code' in err && err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error('see: npm start -- --help');
  }
  process.exit(1);
});
