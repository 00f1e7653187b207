/**
 * `fleetpulse commands create|list|show|wait|cancel` and `fleetpulse devices wake`: operator commands
 * through the commands API (protocol/api/commands.ts). Tables for people, --json for scripts; `wait`
 * shows live progress on stderr and exits 0 only when every targeted device succeeded.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CommandIdSchema,
  CommandStatusSchema,
  type CommandView,
  MacSchema,
  OPERATOR_COMMAND_TYPES,
  type OperatorCommandType,
} from '#protocol/api/commands.ts';
import { ApiError, type ApiTarget } from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import {
  type CreateOptions,
  createBody,
  parseDurationMs,
  parseDurationSec,
  percentArg,
  positiveIntArg,
} from './commands-args.ts';
import {
  type Accepted,
  cancelCommand,
  createCommand,
  deviceOutcomes,
  getCommand,
  listCommands,
} from './commands-client.ts';
import {
  allSucceeded,
  COMMAND_COLUMNS,
  commandDetails,
  commandRow,
  failureSummary,
  OUTCOME_COLUMNS,
  outcomeRow,
  selectorText,
} from './commands-format.ts';
import { progressLine, waitForCommand } from './commands-wait.ts';
import { table } from './format.ts';

/** Exit codes of `commands wait` (and `--wait`): scripts branch on them. */
export const EXIT_ALL_SUCCEEDED = 0;
export const EXIT_NOT_ALL_SUCCEEDED = 1;
export const EXIT_STILL_RUNNING = 2;

/** Failed devices listed under a summary; the rest are one `commands show --devices` away. */
const FAILURES_SHOWN = 10;

const commandIdArg = (value: string): string => {
  if (!CommandIdSchema.safeParse(value).success) {
    throw new InvalidArgumentError('must be a command id (cmd-…); list them with `fleetpulse commands list`');
  }
  return value;
};

const macArg = (value: string): string => {
  const parsed = MacSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'must be six hex bytes');
  return parsed.data;
};

/** An unknown command id is a 404: say what to do about it. */
async function withCommandHint<T>(commandId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new Error(
        `no command ${commandId} (${err.message}); list them with \`fleetpulse commands list\``,
      );
    }
    throw err;
  }
}

interface WaitFlags {
  readonly timeout: number;
  readonly interval: number;
  readonly json?: boolean;
}

/** Waits with progress on stderr, prints the outcome, and sets the exit code. */
async function waitAndReport(target: ApiTarget, commandId: string, flags: WaitFlags): Promise<void> {
  const { view, timedOut } = await withCommandHint(commandId, () =>
    waitForCommand(async () => (await getCommand(target, commandId)).command, {
      timeoutMs: flags.timeout,
      intervalMs: flags.interval,
      progress: progressLine(process.stderr),
    }),
  );
  if (flags.json) console.log(JSON.stringify(view, null, 2));
  if (!timedOut && allSucceeded(view)) {
    if (!flags.json) console.log(`${view.commandId}: all ${view.targeted} devices succeeded`);
    process.exitCode = EXIT_ALL_SUCCEEDED;
    return;
  }
  const problems = await deviceOutcomes(target, commandId, {
    keep: (o) => o.state !== 'succeeded',
    enough: FAILURES_SHOWN,
  });
  console.error(failureSummary(view, problems, timedOut));
  process.exitCode = timedOut ? EXIT_STILL_RUNNING : EXIT_NOT_ALL_SUCCEEDED;
}

const waitOptions = (command: Command): Command =>
  command
    .addOption(
      new Option('--timeout <duration>', 'give up waiting after this long (exit code 2)')
        .argParser(parseDurationMs)
        .default(15 * 60_000, '15m'),
    )
    .addOption(
      new Option('--interval <duration>', 'time between two polls of the API')
        .argParser(parseDurationMs)
        .default(1000, '1s'),
    );

function printCreated(created: Accepted, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify(created.view ?? { commandId: created.commandId }, null, 2));
  else {
    const what = created.view ? ` (${created.view.type} → ${selectorText(created.view.target)})` : '';
    console.log(
      `${created.commandId} created${what}; follow it with: fleetpulse commands wait ${created.commandId}`,
    );
  }
}

type CreateFlags = ApiOptions &
  Omit<CreateOptions, 'expires'> & { expires?: number; wait?: boolean; timeout: number; interval: number };

export function commandsCommand(deviceIdArg: (value: string) => string): Command {
  const commands = new Command('commands').description(
    'send commands to devices (ping, inventory-resync, policy-refresh, wake) and follow them',
  );

  waitOptions(
    apiOptions(
      commands
        .command('create')
        .description('create a command for the devices the target flags select (they combine with AND)')
        .addOption(
          new Option('--type <type>', 'what to do')
            .choices([...OPERATOR_COMMAND_TYPES])
            .makeOptionMandatory(),
        )
        .option('--device <id...>', 'these devices', (v: string, prev: string[] = []) => [
          ...prev,
          deviceIdArg(v),
        ])
        .option('--group <group>', 'devices labelled with this group')
        .option('--site <site>', 'devices labelled with this site')
        .option('--subnet <cidr>', 'devices with an IPv4 address in this subnet (10.1.2.0/24)')
        .option('--tag <tag>', 'devices carrying this tag')
        .addOption(
          new Option('--status <status>', 'devices online or offline when reached').choices([
            'online',
            'offline',
          ]),
        )
        .option('--all', 'the whole fleet (never implied by giving no target)')
        .option(
          '--expires <duration>',
          'devices not reached by then get `expired` (default 1h)',
          parseDurationSec,
        )
        .option('--client-token <token>', 'the same token again returns the same command (safe retries)')
        .option(
          '--max-per-minute <n>',
          'rollout: dispatch at most this many devices a minute',
          positiveIntArg,
        )
        .option('--abort-failed-percent <p>', 'rollout: cancel the rest when more than p % ...', percentArg)
        .option('--abort-after <n>', '... of the first n devices failed', positiveIntArg)
        .option(
          '--secure-on <mac>',
          'wake: SecureOn password for NICs that require one (xx:xx:xx:xx:xx:xx)',
          macArg,
        )
        .option('--wait', 'then wait for it like `commands wait`'),
    ),
  ).action(async (opts: CreateFlags) => {
    const body = createBody(opts);
    const target = await apiTarget(opts);
    const created = await createCommand(target, body);
    if (!opts.wait) return printCreated(created, opts.json);
    if (!opts.json) console.error(`${created.commandId} created; waiting for it`);
    await waitAndReport(target, created.commandId, opts);
  });

  apiOptions(
    commands
      .command('list')
      .description('recent commands, newest first')
      .addOption(
        new Option('--type <type>', 'only commands of this type').choices([...OPERATOR_COMMAND_TYPES]),
      )
      .addOption(
        new Option('--status <status>', 'only commands in this state').choices([
          ...CommandStatusSchema.options,
        ]),
      )
      .option('--limit <n>', 'at most this many', positiveIntArg, 50),
  ).action(
    async (
      opts: ApiOptions & { type?: OperatorCommandType; status?: CommandView['status']; limit: number },
    ) => {
      const items = await listCommands(await apiTarget(opts), {
        ...(opts.type ? { type: opts.type } : {}),
        ...(opts.status ? { status: opts.status } : {}),
        limit: opts.limit,
      });
      if (opts.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        items.length === 0
          ? 'no commands'
          : table(
              COMMAND_COLUMNS,
              items.map((v) => commandRow(v)),
            ),
      );
    },
  );

  apiOptions(
    commands
      .command('show')
      .description('one command: its target, status and totals per state')
      .argument('<id>', 'command id (cmd-…)', commandIdArg)
      .option('--devices', "and every device's outcome"),
  ).action(async (id: string, opts: ApiOptions & { devices?: boolean }) => {
    const target = await apiTarget(opts);
    const detail = await withCommandHint(id, () => getCommand(target, id));
    const outcomes = opts.devices ? await deviceOutcomes(target, id) : undefined;
    if (opts.json) {
      return console.log(
        JSON.stringify(outcomes ? { command: detail.command, devices: outcomes } : detail.command, null, 2),
      );
    }
    console.log(commandDetails(detail.command).join('\n'));
    if (outcomes) {
      console.log(
        outcomes.length === 0
          ? '\nno devices yet'
          : `\n${table(
              OUTCOME_COLUMNS,
              outcomes.map((o) => outcomeRow(o)),
            )}`,
      );
    }
  });

  waitOptions(
    apiOptions(
      commands
        .command('wait')
        .description(
          'wait until the command finishes, with live progress on stderr; exit 0 when every device succeeded, 1 when not, 2 on timeout',
        )
        .argument('<id>', 'command id (cmd-…)', commandIdArg),
    ),
  ).action(async (id: string, opts: ApiOptions & WaitFlags) => {
    await waitAndReport(await apiTarget(opts), id, opts);
  });

  apiOptions(
    commands
      .command('cancel')
      .description('cancel a command: devices not yet in a final state get `canceled`')
      .argument('<id>', 'command id (cmd-…)', commandIdArg),
  ).action(async (id: string, opts: ApiOptions) => {
    const target = await apiTarget(opts);
    const answer = await withCommandHint(id, () => cancelCommand(target, id));
    if (opts.json) return console.log(JSON.stringify(answer.view ?? { commandId: id }, null, 2));
    console.log(`${id}: cancel requested${answer.view ? ` (status: ${answer.view.status})` : ''}`);
  });

  return commands;
}

/** `fleetpulse devices wake <id...>`: a wake command for these devices, through their nearest online bridge. */
export function addWakeCommand(devices: Command, deviceIdArg: (value: string) => string): void {
  waitOptions(
    apiOptions(
      devices
        .command('wake')
        .description(
          'wake devices with Wake-on-LAN, sent by an online agent on their subnet (confirmed when they connect)',
        )
        .argument('<id...>', 'device ids', (v: string, prev: string[] = []) => [...prev, deviceIdArg(v)])
        .option(
          '--secure-on <mac>',
          'SecureOn password for NICs that require one (xx:xx:xx:xx:xx:xx)',
          macArg,
        )
        .option('--wait', 'then wait until they are up (or the wake is not confirmed)'),
    ),
  ).action(async (ids: string[], opts: ApiOptions & WaitFlags & { secureOn?: string; wait?: boolean }) => {
    const body = createBody({
      type: 'wake',
      device: ids,
      ...(opts.secureOn ? { secureOn: opts.secureOn } : {}),
    });
    const target = await apiTarget(opts);
    const created = await createCommand(target, body);
    if (!opts.wait) return printCreated(created, opts.json);
    if (!opts.json) console.error(`${created.commandId} created; waiting for it`);
    await waitAndReport(target, created.commandId, opts);
  });
}
