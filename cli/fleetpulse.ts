/**
 * fleetpulse: the operator's CLI. Registers devices (local cloud or AWS IoT), reads the fleet
 * and its inventory through the operator API, and inspects and replays dead letters.
 */

import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AGENT_VERSION } from '#agent/version.ts';
import { isDeviceId } from '#protocol/ids.ts';
import { analyzerCommand } from './analyzer-command.ts';
import { type DeviceFilter, type DeviceView, getDevice, listDevices } from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import { addWakeCommand, commandsCommand } from './commands-command.ts';
import { connectivityLines, outboxLine } from './connectivity-format.ts';
import { dlqCommand } from './dlq-command.ts';
import { ago, field, table, text } from './format.ts';
import { addInventoryCommands } from './inventory-command.ts';
import { addLabelCommands, labelsText } from './labels-command.ts';
import { findLocalCloudDir } from './local-cloud.ts';
import { policiesCommand } from './policies-command.ts';
import { assertNewDeviceFolder, DEFAULT_DEVICE_POLICY, registerAws, registerLocal } from './register.ts';
import { sessionsCommand } from './sessions-command.ts';
import { exitQuietlyWhenReaderCloses } from './stdout.ts';

const deviceIdArg = (value: string): string => {
  if (!isDeviceId(value)) {
    throw new InvalidArgumentError(
      'must be 1-128 characters of A-Z a-z 0-9 _ - and start with a letter or digit',
    );
  }
  return value;
};

const DEVICE_COLUMNS = [
  'DEVICE',
  'STATUS',
  'PLATFORM',
  'HOSTNAME',
  'AGENT',
  'POLICY',
  'SESSIONS',
  'RTT',
  'LAST SEEN',
  'LABELS',
];

function deviceRow(d: DeviceView): string[] {
  const connectivity = d.connectivity as { rttMs?: number | null } | undefined;
  return [
    d.deviceId,
    text(d.status),
    text(d.platform),
    text(d.hostname),
    text(d.agentVersion),
    text(d.policyVersion),
    Array.isArray(d.sessions) ? String(d.sessions.length) : '-',
    typeof connectivity?.rttMs === 'number' ? `${connectivity.rttMs}ms` : '-',
    ago(d.lastSeenAt),
    labelsText(d),
  ];
}

export function buildProgram(): Command {
  const program = new Command('fleetpulse')
    .description(
      'Operate a fleetpulse fleet: register devices, list them, inspect one and its inventory, replay dead letters.',
    )
    .version(AGENT_VERSION)
    .showHelpAfterError();

  const devices = program.command('devices').description('register and inspect devices');

  devices
    .command('register')
    .description('create a device identity and write <dir>/{cert.pem,key.pem,agent.json}')
    .argument('<id>', 'device id (= IoT thing name = MQTT client id = certificate CN)', deviceIdArg)
    .requiredOption('--out <dir>', 'folder to write the identity and agent.json to')
    .addOption(
      new Option(
        '--target <target>',
        'where the device connects (default: local when .local-cloud/endpoints.json exists, else aws)',
      ).choices(['local', 'aws']),
    )
    .option('--region <region>', 'AWS region of the IoT endpoint (aws: default AWS_REGION; local: "local")')
    .option(
      '--policy <name>',
      'IoT policy to attach (aws); the stack exports its name as the FleetPulseDevicePolicy output',
      DEFAULT_DEVICE_POLICY,
    )
    .option(
      '--local-cloud <dir>',
      'local cloud folder holding endpoints.json and ca/ (default: ./.local-cloud)',
    )
    .option('--force', 'replace an existing agent.json in --out')
    .action(
      async (
        id: string,
        opts: {
          out: string;
          target?: 'local' | 'aws';
          region?: string;
          policy: string;
          localCloud?: string;
          force?: boolean;
        },
      ) => {
        const out = resolve(opts.out);
        const force = opts.force ?? false;
        await assertNewDeviceFolder(out, force);
        const localDir = await findLocalCloudDir(opts.localCloud);
        if (opts.localCloud !== undefined && localDir === undefined) {
          throw new Error(`no endpoints.json in ${resolve(opts.localCloud)}; is the local cloud running?`);
        }
        const target = opts.target ?? (localDir === undefined ? 'aws' : 'local');
        if (target === 'local') {
          if (localDir === undefined)
            throw new Error('no local cloud found (.local-cloud/endpoints.json); start it with `npm start`');
          const device = await registerLocal({
            deviceId: id,
            out,
            localCloudDir: localDir,
            region: opts.region ?? 'local',
            force,
          });
          console.log(
            `registered ${id} with the local cloud (${device.config.endpoint}:${device.config.port})`,
          );
        } else {
          const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
          if (!region) throw new Error('--region is required for --target aws (or set AWS_REGION)');
          const device = await registerAws({
            deviceId: id,
            out,
            region,
            policyName: opts.policy,
            force,
            log: (line) => console.error(line),
          });
          console.log(`registered ${id} in ${region} (${device.config.endpoint}:8883)`);
        }
        console.log(`run it with: npx fleetpulse-agent run --config ${resolve(out, 'agent.json')}`);
      },
    );

  apiOptions(
    devices
      .command('list')
      .description('list devices with their presence and last heartbeat')
      .addOption(new Option('--status <status>', 'only devices in this state').choices(['online', 'offline']))
      .option('--group <group>', 'only devices of this group')
      .option('--site <site>', 'only devices of this site')
      .option('--tag <tag>', 'only devices with this tag'),
  ).action(async (opts: ApiOptions & DeviceFilter) => {
    const items = await listDevices(await apiTarget(opts), {
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.group ? { group: opts.group } : {}),
      ...(opts.site ? { site: opts.site } : {}),
      ...(opts.tag ? { tag: opts.tag } : {}),
    });
    if (opts.json) return console.log(JSON.stringify(items, null, 2));
    console.log(items.length === 0 ? 'no devices' : table(DEVICE_COLUMNS, items.map(deviceRow)));
  });

  apiOptions(
    devices.command('get').description('show one device').argument('<id>', 'device id', deviceIdArg),
  ).action(async (id: string, opts: ApiOptions) => {
    const device = await getDevice(await apiTarget(opts), id);
    if (opts.json) return console.log(JSON.stringify(device, null, 2));
    console.log(table(DEVICE_COLUMNS, [deviceRow(device)]));
    const sessions = Array.isArray(device.sessions)
      ? (device.sessions as Array<Record<string, unknown>>)
      : [];
    if (sessions.length > 0) {
      console.log(
        `\n${table(
          ['SESSION', 'USER', 'STATE'],
          sessions.map((s) => [text(s.id), text(s.user), text(s.state)]),
        )}`,
      );
    }
    const details = Object.entries(device).filter(
      ([k]) => !['sessions', 'connectivity', 'outbox'].includes(k),
    );
    console.log(`\n${details.map(([k, v]) => `${k}: ${field(k, v)}`).join('\n')}`);
    if (device.connectivity !== undefined) console.log(connectivityLines(device.connectivity).join('\n'));
    if (device.outbox !== undefined) console.log(outboxLine(device.outbox));
  });

  addInventoryCommands(devices, deviceIdArg);
  addWakeCommand(devices, deviceIdArg);
  addLabelCommands(devices, deviceIdArg);

  program.addCommand(sessionsCommand(deviceIdArg));
  program.addCommand(commandsCommand(deviceIdArg));

  program.addCommand(policiesCommand(deviceIdArg));
  program.addCommand(dlqCommand());
  program.addCommand(analyzerCommand());

  return program;
}

export async function main(argv = process.argv): Promise<void> {
  // Node 20 is supported here (as in the local cloud); the SDK's notice about 2027 is console noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  exitQuietlyWhenReaderCloses();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    console.error(`fleetpulse: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

await main();
