/**
 * `fleetpulse sessions list|show|batches|batch`: a device's analyzer sessions, one session's summary,
 * its batches, and one batch's samples, through the sessions API.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { BatchView, SessionRowView, SessionView } from '#lambdas/api/sessions.ts';
import { SESSION_ID_PATTERN } from '#protocol/ids.ts';
import {
  ApiError,
  type ApiTarget,
  getDevice,
  getSession,
  getSessionBatch,
  type ListPage,
  listSessionBatches,
  listSessions,
} from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import { table, timestamp } from './format.ts';

const sessionIdArg = (value: string): string => {
  if (!SESSION_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      'must be 1-64 characters of A-Z a-z 0-9 _ - and start with a letter or digit (see `fleetpulse sessions list <device>`)',
    );
  }
  return value;
};

const seqArg = (value: string): number => {
  if (!/^[1-9]\d{0,9}$/.test(value))
    throw new InvalidArgumentError('must be a batch sequence number (1, 2, ...)');
  return Number(value);
};

const countArg =
  (max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be a whole number 1..${max}`);
    return n;
  };

const AGO = /^(\d{1,6})([mhd])$/;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO-8601 time, or a time ago (`90m`, `24h`, `7d`), as the ISO-8601 time the API takes. */
export function parseTime(value: string, now: number): string {
  const ago = AGO.exec(value);
  if (ago) return new Date(now - Number(ago[1]) * (UNIT_MS[ago[2] ?? 'h'] ?? 0)).toISOString();
  if (/^\d{4}-\d\d-\d\d/.test(value) && !Number.isNaN(Date.parse(value))) {
    // A date alone or a time without a zone is read as UTC, as the API answers.
    const iso = /[zZ]|[+-]\d\d:\d\d$/.test(value) || value.length === 10 ? value : `${value}Z`;
    return new Date(Date.parse(iso)).toISOString();
  }
  throw new InvalidArgumentError(
    'must be an ISO-8601 time (2026-11-29T08:00:00Z) or a time ago (90m, 24h, 7d)',
  );
}

const timeArg = (value: string): string => parseTime(value, Date.now());

/** Seconds as `2h 05m`, `4m 30s` or `45s`. */
export function duration(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const when = (iso: string): string => timestamp(Date.parse(iso));

interface RangeOptions extends ApiOptions {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
}

/** Pages through a listing until `limit` items or the end. */
async function collect<T>(
  limit: number,
  fetchPage: (page: ListPage) => Promise<{ items: T[]; nextCursor: string | null }>,
  range: { from?: string; to?: string },
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await fetchPage({
      ...range,
      limit: Math.min(100, limit - items.length),
      ...(cursor === null ? {} : { cursor }),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && items.length < limit);
  return { items: items.slice(0, limit), more: cursor !== null };
}

const rangeOf = (opts: RangeOptions) => ({
  ...(opts.from === undefined ? {} : { from: opts.from }),
  ...(opts.to === undefined ? {} : { to: opts.to }),
});

/** An API 404 with what to run next; other errors as they are. */
async function withHint<T>(call: Promise<T>, hint: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error(`${err.message} (${hint})`);
    throw err;
  }
}

/** The sessions API knows no devices: an empty listing is checked against the devices API. */
async function assertKnownDevice(target: ApiTarget, deviceId: string): Promise<void> {
  try {
    await getDevice(target, deviceId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new Error(`device ${deviceId} is not known (\`fleetpulse devices list\` shows the fleet)`);
    }
    throw err;
  }
}

function sessionRows(items: readonly SessionRowView[]): string {
  return table(
    ['SESSION', 'USER', 'FIRST SEEN', 'LAST SEEN', 'ACTIVE', 'IDLE', 'LOCKED+DISC', 'BATCHES', 'MISSING'],
    items.map((s) => [
      s.sessionId,
      s.user || '-',
      when(s.firstSeen),
      `${when(s.lastSeen)}${s.ended ? ' ended' : ''}`,
      duration(s.stateSec.active),
      duration(s.stateSec.idle),
      duration(s.stateSec.locked + s.stateSec.disconnected),
      String(s.batches.received),
      String(s.batches.missing),
    ]),
  );
}

function summaryText(s: SessionView): string {
  const lines = [
    `device    ${s.deviceId}`,
    `session   ${s.sessionId}${s.ended ? ' (ended)' : ''}`,
    `user      ${s.user || '-'}`,
    `first     ${when(s.firstSeen)}`,
    `last      ${when(s.lastSeen)}`,
    `states    active ${duration(s.stateSec.active)}, idle ${duration(s.stateSec.idle)}, locked ${duration(
      s.stateSec.locked,
    )}, disconnected ${duration(s.stateSec.disconnected)}`,
    `cpu       peak ${s.cpu.peakPct}%, average ${s.cpu.avgPct}%`,
    `memory    peak ${s.memory.peakPct}%, average ${s.memory.avgPct}%`,
    `batches   ${s.batches.received} received, ${s.batches.missing} missing`,
  ];
  const focus =
    s.topAppsByFocus.length === 0
      ? 'no focus time recorded (Linux reports none)'
      : table(
          ['APP', 'FOCUS'],
          s.topAppsByFocus.map((a) => [a.app, duration(a.focusSec)]),
        );
  const cpu = table(
    ['APP', 'AVG CPU'],
    s.topAppsByCpu.map((a) => [a.app, `${a.avgCpuPct}%`]),
  );
  return [...lines, '', 'Top apps by focus', focus, '', 'Top apps by CPU', cpu].join('\n');
}

function batchText(view: BatchView): string {
  const { batch } = view;
  const header = [
    `device    ${view.deviceId}`,
    `session   ${view.sessionId}, batch ${view.seq}${batch.final ? ' (final)' : ''}`,
    `user      ${batch.user || '-'}`,
    `samples   ${batch.samples.length} every ${batch.intervalSec}s, ${view.frameBytes} bytes as sent`,
  ];
  const rows = batch.samples.map((s) => {
    const top = [...s.apps].sort((a, b) => b.cpuPct - a.cpuPct)[0];
    return [
      new Date(s.t).toISOString().slice(0, 19).concat('Z'),
      s.state,
      `${s.cpuPct}%`,
      `${s.memPct}%`,
      String(s.diskKBps),
      `${s.netRxKBps}/${s.netTxKBps}`,
      String(s.apps.length),
      top ? `${top.app} ${top.cpuPct}%` : '-',
    ];
  });
  return [
    ...header,
    '',
    table(['TIME', 'STATE', 'CPU', 'MEM', 'DISK KB/s', 'NET RX/TX KB/s', 'APPS', 'TOP APP BY CPU'], rows),
  ].join('\n');
}

export function sessionsCommand(deviceIdArg: (value: string) => string): Command {
  const sessions = new Command('sessions').description(
    "a device's analyzer sessions: list them, read a summary, list and read its batches",
  );

  apiOptions(
    sessions
      .command('list')
      .description("list a device's sessions, most recent first")
      .argument('<deviceId>', 'device id', deviceIdArg)
      .option(
        '--from <time>',
        'only sessions with samples at or after (ISO-8601, or 90m/24h/7d ago)',
        timeArg,
      )
      .option('--to <time>', 'only sessions with samples at or before (ISO-8601, or 90m/24h/7d ago)', timeArg)
      .option('--limit <n>', 'at most this many sessions (1..1000, default 20)', countArg(1000)),
  ).action(async (deviceId: string, opts: RangeOptions) => {
    const target = await apiTarget(opts);
    const { items, more } = await collect(
      opts.limit ?? 20,
      (page) => listSessions(target, deviceId, page),
      rangeOf(opts),
    );
    if (items.length === 0) await assertKnownDevice(target, deviceId);
    if (opts.json) return console.log(JSON.stringify(items, null, 2));
    if (items.length === 0) {
      const range = opts.from || opts.to ? ' in that time range' : '';
      return console.log(`no analyzer sessions for ${deviceId}${range}`);
    }
    console.log(sessionRows(items));
    if (more) console.log(`\nmore sessions: raise --limit or narrow --from/--to`);
  });

  apiOptions(
    sessions
      .command('show')
      .description("show a session's summary: user, times, states, top apps, CPU and memory, batches")
      .argument('<deviceId>', 'device id', deviceIdArg)
      .argument('<sessionId>', 'session id (from `sessions list`)', sessionIdArg),
  ).action(async (deviceId: string, sessionId: string, opts: ApiOptions) => {
    const target = await apiTarget(opts);
    const summary = await withHint(
      getSession(target, deviceId, sessionId),
      `\`fleetpulse sessions list ${deviceId}\` shows its sessions`,
    );
    console.log(opts.json ? JSON.stringify(summary, null, 2) : summaryText(summary));
  });

  apiOptions(
    sessions
      .command('batches')
      .description("list a session's batches by sequence")
      .argument('<deviceId>', 'device id', deviceIdArg)
      .argument('<sessionId>', 'session id', sessionIdArg)
      .option('--from <time>', 'only batches with samples at or after (ISO-8601, or 90m/24h/7d ago)', timeArg)
      .option('--to <time>', 'only batches with samples at or before (ISO-8601, or 90m/24h/7d ago)', timeArg)
      .option('--limit <n>', 'at most this many batches (1..10000, default 1000)', countArg(10_000)),
  ).action(async (deviceId: string, sessionId: string, opts: RangeOptions) => {
    const target = await apiTarget(opts);
    const { items, more } = await withHint(
      collect(
        opts.limit ?? 1000,
        (page) => listSessionBatches(target, deviceId, sessionId, page),
        rangeOf(opts),
      ),
      `\`fleetpulse sessions list ${deviceId}\` shows its sessions`,
    );
    if (opts.json) return console.log(JSON.stringify(items, null, 2));
    if (items.length === 0) return console.log(`no batches of ${sessionId} in that time range`);
    console.log(
      table(
        ['SEQ', 'FIRST SAMPLE', 'LAST SAMPLE', 'SAMPLES'],
        items.map((b) => [String(b.seq), when(b.firstSeen), when(b.lastSeen), String(b.samples)]),
      ),
    );
    if (more) console.log(`\nmore batches: raise --limit or narrow --from/--to`);
  });

  apiOptions(
    sessions
      .command('batch')
      .description('show one batch, decoded from the raw archive: every sample')
      .argument('<deviceId>', 'device id', deviceIdArg)
      .argument('<sessionId>', 'session id', sessionIdArg)
      .argument('<seq>', 'batch sequence number (from `sessions batches`)', seqArg),
  ).action(async (deviceId: string, sessionId: string, seq: number, opts: ApiOptions) => {
    const target = await apiTarget(opts);
    const view = await withHint(
      getSessionBatch(target, deviceId, sessionId, seq),
      `\`fleetpulse sessions batches ${deviceId} ${sessionId}\` lists its batches`,
    );
    console.log(opts.json ? JSON.stringify(view, null, 2) : batchText(view));
  });

  return sessions;
}
