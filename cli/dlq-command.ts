/**
 * `fleetpulse dlq list|replay`: where the queues and functions are (local cloud or AWS), and how the
 * results print. The work itself is in dlq.ts.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { lambdaFunctionName } from '#local/public.ts';
import { type FunctionName, functions, type QueueName, queues } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import {
  type DeadLetterView,
  DLQ_NAMES,
  DLQ_QUEUES,
  type DlqName,
  listDeadLetters,
  REPLAYABLE_DLQS,
  type ReplayOutcome,
  type ReplayTarget,
  replayDeadLetters,
} from './dlq.ts';
import { table, text, timestamp } from './format.ts';
import { findLocalCloudDir, type LocalEndpoints, readLocalEndpoints } from './local-cloud.ts';

/** Region the local cloud runs in when its endpoints.json predates the `region` key. */
const LOCAL_REGION_FALLBACK = 'eu-west-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

interface TargetOptions {
  target?: 'local' | 'aws';
  region?: string;
  queueUrl?: string;
  localCloud?: string;
}

/** SDK clients and the resolution of names, for one target. */
export interface DlqTarget {
  readonly sqs: SQSClient;
  readonly lambda?: LambdaClient;
  queueUrl(queue: DlqName): Promise<string>;
  /** The wiring queue's URL (local only; AWS takes URLs as options). */
  localQueueUrl?(queue: QueueName): Promise<string>;
  close(): void;
}

/** The local cloud's clients, from its endpoints (endpoints.json or LocalCloud.endpoints). */
export function localTarget(
  endpoints: Pick<LocalEndpoints, 'sqsEndpoint' | 'lambdaEndpoint' | 'region'>,
): DlqTarget {
  if (!endpoints.sqsEndpoint) throw new Error('the local cloud endpoints have no sqsEndpoint');
  const config = { region: endpoints.region ?? LOCAL_REGION_FALLBACK, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...config, endpoint: endpoints.sqsEndpoint, useQueueUrlAsEndpoint: false });
  const lambda = endpoints.lambdaEndpoint
    ? new LambdaClient({ ...config, endpoint: endpoints.lambdaEndpoint })
    : undefined;
  const localQueueUrl = async (queue: QueueName): Promise<string> => {
    const res = await sqs.send(new GetQueueUrlCommand({ QueueName: queues[queue].localName }));
    if (!res.QueueUrl) throw new Error(`local queue ${queues[queue].localName} not found`);
    return res.QueueUrl;
  };
  return {
    sqs,
    ...(lambda ? { lambda } : {}),
    queueUrl: (queue) => localQueueUrl(DLQ_QUEUES[queue]),
    localQueueUrl,
    close() {
      sqs.destroy();
      lambda?.destroy();
    },
  };
}

/** Local: each source goes back to its own function (Invoke) or to the queue that feeds it. */
export function localReplayTargets(
  target: DlqTarget,
  only?: string,
): (source: string) => Promise<ReplayTarget> {
  return async (source) => {
    if (only !== undefined && source !== only) return { kind: 'skip', reason: `source is not ${only}` };
    const spec: FunctionSpec | undefined = (functions as Record<string, FunctionSpec>)[source];
    if (!spec) return { kind: 'skip', reason: `${source} is not a function of the wiring` };
    const trigger = spec.trigger;
    if (trigger.kind === 'queue' || trigger.kind === 'topic-rule-queue') {
      if (!target.localQueueUrl) return { kind: 'skip', reason: 'no queue lookup' };
      return { kind: 'queue', queueUrl: await target.localQueueUrl(trigger.queue as QueueName) };
    }
    if (!target.lambda) {
      return { kind: 'skip', reason: 'the local cloud has no lambdaEndpoint: restart it (npm start)' };
    }
    return { kind: 'invoke', functionName: lambdaFunctionName(source as FunctionName) };
  };
}

async function resolveTarget(opts: TargetOptions): Promise<DlqTarget> {
  const localDir = opts.target === 'aws' ? undefined : await findLocalCloudDir(opts.localCloud);
  const target = opts.target ?? (localDir === undefined ? 'aws' : 'local');
  if (target === 'local') {
    if (localDir === undefined) {
      throw new Error('no local cloud found (.local-cloud/endpoints.json); start it with `npm start`');
    }
    return localTarget(await readLocalEndpoints(localDir));
  }
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('--region is required with --target aws (or set AWS_REGION)');
  const queueUrl = opts.queueUrl;
  if (!queueUrl) throw new Error('--queue-url <dead-letter queue URL> is required with --target aws');
  // Default credential chain: environment, profile, SSO, instance role.
  const sqs = new SQSClient({ region });
  const lambda = new LambdaClient({ region });
  return {
    sqs,
    lambda,
    queueUrl: async () => queueUrl,
    close() {
      sqs.destroy();
      lambda.destroy();
    },
  };
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

const truncate = (s: string | undefined, width: number): string =>
  s === undefined ? '-' : s.length <= width ? s : `${s.slice(0, width - 1)}…`;

export function formatDeadLetters(queue: DlqName, items: readonly DeadLetterView[]): string {
  if (items.length === 0) return `no dead letters in ${queue}`;
  if (queue === 'ingest') {
    return table(
      ['FAILED AT', 'SOURCE', 'ERROR', 'DEVICE', 'REASON', 'MESSAGE ID'],
      items.map((d) => [
        timestamp(d.failedAt),
        text(d.source),
        text(d.errorType),
        text(d.deviceId),
        truncate(d.reason, 60),
        d.messageId,
      ]),
    );
  }
  return table(
    ['SENT AT', 'SOURCE', 'DEVICE', 'TOPIC', 'RECEIVES', 'MESSAGE ID'],
    items.map((d) => [
      timestamp(d.failedAt),
      text(d.source),
      text(d.deviceId),
      truncate(d.topic, 50),
      text(d.receiveCount),
      d.messageId,
    ]),
  );
}

export function formatReplay(outcomes: readonly ReplayOutcome[]): string {
  if (outcomes.length === 0) return 'nothing to replay';
  const count = (...statuses: string[]) => outcomes.filter((o) => statuses.includes(o.status)).length;
  const rows = outcomes.map((o) => [
    o.status,
    text(o.source),
    text(o.deviceId),
    truncate(o.target, 40),
    truncate(o.detail, 70),
    o.messageId,
  ]);
  return [
    table(['RESULT', 'SOURCE', 'DEVICE', 'TARGET', 'DETAIL', 'MESSAGE ID'], rows),
    '',
    `${count('replayed', 'requeued')} replayed, ${count('would-replay')} would replay, ` +
      `${count('failed', 'still-invalid')} failed (kept in the queue), ${count('skipped')} skipped`,
  ].join('\n');
}

function targetOptions(command: Command, queues: readonly DlqName[]): Command {
  return command
    .addOption(new Option('--queue <queue>', 'which dead-letter queue').choices(queues).default('ingest'))
    .option('--max <n>', 'at most this many messages', positiveInt, 50)
    .addOption(
      new Option(
        '--target <target>',
        'local cloud or AWS (default: local when .local-cloud/endpoints.json exists, else aws)',
      ).choices(['local', 'aws']),
    )
    .option('--region <region>', 'AWS region (aws; default AWS_REGION)')
    .option('--queue-url <url>', 'the dead-letter queue URL (aws; required there)')
    .option('--local-cloud <dir>', 'local cloud folder holding endpoints.json (default: ./.local-cloud)')
    .option('--json', 'print JSON instead of a table');
}

async function withTarget<T>(opts: TargetOptions, work: (target: DlqTarget) => Promise<T>): Promise<T> {
  const target = await resolveTarget(opts);
  try {
    return await work(target);
  } finally {
    target.close();
  }
}

interface ReplayCliOptions extends TargetOptions {
  queue: 'ingest' | 'reports';
  max: number;
  dryRun?: boolean;
  json?: boolean;
  source?: string;
  function?: string;
  toQueueUrl?: string;
}

/** AWS: CloudFormation names the functions and queues, so the operator passes them. */
function awsReplayTargets(opts: ReplayCliOptions): (source: string) => Promise<ReplayTarget> {
  if (opts.queue === 'ingest' && !opts.source) {
    throw new Error(
      '--source <function> is required with --target aws --queue ingest: each dead letter goes back to the function that failed',
    );
  }
  return async (source) => {
    if (opts.source !== undefined && source !== opts.source) {
      return { kind: 'skip', reason: `source is not ${opts.source}` };
    }
    const trigger = (functions as Record<string, FunctionSpec>)[source]?.trigger;
    if (trigger?.kind === 'queue' || trigger?.kind === 'topic-rule-queue') {
      return opts.toQueueUrl
        ? { kind: 'queue', queueUrl: opts.toQueueUrl }
        : { kind: 'skip', reason: `--to-queue-url (the ${trigger.queue} queue) is required for ${source}` };
    }
    return opts.function
      ? { kind: 'invoke', functionName: opts.function }
      : { kind: 'skip', reason: `--function (the ${source} function's name or ARN) is required` };
  };
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and replay dead-lettered device input');

  targetOptions(
    dlq
      .command('list')
      .description(
        'show dead letters without consuming them (read with visibility timeout 0; each read counts as a receive)',
      ),
    DLQ_NAMES,
  ).action(async (opts: TargetOptions & { queue: DlqName; max: number; json?: boolean }) => {
    const items = await withTarget(opts, async (target) =>
      listDeadLetters(target.sqs, {
        queue: opts.queue,
        queueUrl: await target.queueUrl(opts.queue),
        max: opts.max,
      }),
    );
    console.log(opts.json ? JSON.stringify(items, null, 2) : formatDeadLetters(opts.queue, items));
  });

  targetOptions(
    dlq
      .command('replay')
      .description('send dead letters back to where they failed; delete each one only when that worked')
      .addHelpText(
        'after',
        [
          '',
          "ingest: each dead letter's event is invoked on the function named by its source (queue-fed",
          'sources are sent back to their queue). If the handler dead-letters the event again, it is',
          'reported as still-invalid with the new reason and the original stays. reports: the message is',
          'sent back to the reports queue. Handlers are idempotent, so replaying something already',
          'applied is harmless.',
          '',
          'Local: functions and queues come from the local cloud. AWS:',
          '  fleetpulse dlq replay --target aws --region eu-west-1 --queue-url <ingest-dlq-url> \\',
          '    --source heartbeat --function <heartbeat function name or ARN>',
          '  fleetpulse dlq replay --target aws --region eu-west-1 --queue reports \\',
          '    --queue-url <reports-dlq-url> --to-queue-url <reports-queue-url>',
        ].join('\n'),
      ),
    REPLAYABLE_DLQS,
  )
    .option('--dry-run', 'show what would be replayed; change nothing')
    .option('--source <function>', 'only dead letters of this wiring function (required with --target aws)')
    .option('--function <name-or-arn>', 'aws: the function to invoke for --source')
    .option('--to-queue-url <url>', 'aws: the queue to send back to (reports, or a queue-fed --source)')
    .action(async (opts: ReplayCliOptions) => {
      const outcomes = await withTarget(opts, async (target) =>
        replayDeadLetters({
          sqs: target.sqs,
          ...(target.lambda ? { lambda: target.lambda } : {}),
          queue: opts.queue,
          queueUrl: await target.queueUrl(opts.queue),
          max: opts.max,
          dryRun: opts.dryRun ?? false,
          targetFor: target.localQueueUrl ? localReplayTargets(target, opts.source) : awsReplayTargets(opts),
        }),
      );
      console.log(opts.json ? JSON.stringify(outcomes, null, 2) : formatReplay(outcomes));
      if (outcomes.some((o) => o.status === 'failed' || o.status === 'still-invalid')) process.exitCode = 1;
    });

  return dlq;
}
