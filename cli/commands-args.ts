/**
 * `fleetpulse commands create` and `devices wake` options → the `POST /commands` body, checked with
 * the contract's own schema before anything is sent, so a bad selector or MAC is refused here with
 * the flag to fix rather than by the API.
 */
import { InvalidArgumentError } from 'commander';
import { CreateCommandSchema, type OperatorCommandType } from '#protocol/api/commands.ts';
import type { Selector } from '#protocol/api/selector.ts';
import type { CreateCommandBody } from './commands-client.ts';

const DURATION = /^(\d{1,7})(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `90s`, `10m`, `1h`, `7d` → milliseconds. */
export function parseDurationMs(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration such as 500ms, 90s, 10m, 1h or 7d');
  return Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1);
}

/** `90s`, `10m`, `1h`, `7d` → whole seconds. */
export function parseDurationSec(value: string): number {
  const ms = parseDurationMs(value);
  if (ms % 1000 !== 0) throw new InvalidArgumentError('must be whole seconds, such as 90s, 10m, 1h or 7d');
  return ms / 1000;
}

export const positiveIntArg = (value: string): number => {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('must be a whole number above 0');
  return Number(value);
};

export const percentArg = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError('must be a percentage from 0 to 100');
  }
  return n;
};

/** The target flags of `commands create`. */
export interface TargetOptions {
  readonly device?: readonly string[];
  readonly group?: string;
  readonly site?: string;
  readonly subnet?: string;
  readonly tag?: string;
  readonly status?: 'online' | 'offline';
  readonly all?: boolean;
}

export interface CreateOptions extends TargetOptions {
  readonly type: OperatorCommandType;
  readonly expires?: number;
  readonly clientToken?: string;
  readonly maxPerMinute?: number;
  readonly abortFailedPercent?: number;
  readonly abortAfter?: number;
  readonly secureOn?: string;
}

/** Body field → the flag that sets it, so a refusal names what the operator typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  'target.deviceIds': '--device',
  'target.group': '--group',
  'target.site': '--site',
  'target.subnet': '--subnet',
  'target.tag': '--tag',
  'target.status': '--status',
  target: 'the target (--device, --group, --site, --subnet, --tag, --status or --all)',
  expiresInSec: '--expires (in seconds)',
  clientToken: '--client-token',
  'rollout.maxPerMinute': '--max-per-minute',
  'rollout.abort.failedPercent': '--abort-failed-percent',
  'rollout.abort.afterDevices': '--abort-after',
  'params.secureOn': '--secure-on',
};

/** One refusal, in the operator's words: the flag (and the value, for one of several --device ids). */
function refusal(
  issue: { readonly path: ReadonlyArray<PropertyKey>; readonly message: string },
  deviceIds: readonly string[] | undefined,
): string {
  const path = issue.path.map(String);
  const joined = path.join('.');
  const key = Object.keys(FLAG_OF)
    .filter((k) => joined === k || joined.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) return `${joined || 'the command'}: ${issue.message}`;
  const index = key === 'target.deviceIds' ? Number(path[2]) : Number.NaN;
  const value = Number.isInteger(index) ? ` ${deviceIds?.[index] ?? ''}` : '';
  return `${FLAG_OF[key]}${value}: ${issue.message}`;
}

export function selectorOf(opts: TargetOptions): Selector {
  return {
    ...(opts.device && opts.device.length > 0 ? { deviceIds: [...new Set(opts.device)] } : {}),
    ...(opts.group === undefined ? {} : { group: opts.group }),
    ...(opts.site === undefined ? {} : { site: opts.site }),
    ...(opts.subnet === undefined ? {} : { subnet: opts.subnet }),
    ...(opts.tag === undefined ? {} : { tag: opts.tag }),
    ...(opts.status === undefined ? {} : { status: opts.status }),
    ...(opts.all ? { all: true as const } : {}),
  };
}

/** The request body, or an Error saying which flags to fix (every problem at once). */
export function createBody(opts: CreateOptions): CreateCommandBody {
  const problems: string[] = [];
  const abortGiven = opts.abortFailedPercent !== undefined || opts.abortAfter !== undefined;
  if (abortGiven && (opts.abortFailedPercent === undefined || opts.abortAfter === undefined)) {
    problems.push('--abort-failed-percent and --abort-after go together');
  }
  if (abortGiven && opts.maxPerMinute === undefined) {
    problems.push('an abort threshold is part of a rollout: give --max-per-minute too');
  }
  if (opts.secureOn !== undefined && opts.type !== 'wake')
    problems.push('--secure-on is for --type wake only');
  const target = selectorOf(opts);
  if (Object.keys(target).length === 0) {
    problems.push(
      'say which devices: --device <id...>, --group, --site, --subnet, --tag, --status, or --all',
    );
  }
  const body = {
    type: opts.type,
    target,
    ...(opts.expires === undefined ? {} : { expiresInSec: opts.expires }),
    ...(opts.clientToken === undefined ? {} : { clientToken: opts.clientToken }),
    ...(opts.maxPerMinute === undefined
      ? {}
      : {
          rollout: {
            maxPerMinute: opts.maxPerMinute,
            ...(opts.abortFailedPercent !== undefined && opts.abortAfter !== undefined
              ? { abort: { failedPercent: opts.abortFailedPercent, afterDevices: opts.abortAfter } }
              : {}),
          },
        }),
    ...(opts.secureOn === undefined ? {} : { params: { secureOn: opts.secureOn } }),
  };
  const parsed = CreateCommandSchema.safeParse(body);
  if (!parsed.success) {
    // The empty selector is already said above, in flag words.
    const issues = parsed.error.issues.filter(
      (i) => Object.keys(target).length > 0 || i.path.join('.') !== 'target',
    );
    problems.push(...issues.map((issue) => refusal(issue, target.deviceIds)));
  }
  if (problems.length > 0) throw new Error(`cannot create the command: ${problems.join('; ')}`);
  // Sent as typed (defaults are the API's to apply): the parse only proves the API will accept it.
  return body as CreateCommandBody;
}
