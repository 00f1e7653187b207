/**
 * `fleetpulse commands …` and `devices wake` over HTTP, against a TEST DOUBLE of the commands API: a
 * plain HTTP server on 127.0.0.1 started here, serving canned answers that are each checked against
 * the contract (CommandDetailSchema / CommandViewSchema) before they are served. It exercises the
 * CLI's requests, polling, progress and exit codes only; the end-to-end test of the CLI against the
 * real commands API (local cloud) comes with that API.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommandDetail,
  CommandDetailSchema,
  CommandViewSchema,
  CreateCommandSchema,
} from '#protocol/api/commands.ts';
import type { ApiTarget } from '../../cli/api-client.ts';
import { deviceOutcomes, getCommand } from '../../cli/commands-client.ts';
import { progressLine, waitForCommand } from '../../cli/commands-wait.ts';
import { COMMAND_ID, commandDetail, commandView, outcome } from '../support/command-details.ts';
import { fleetpulse, STACK_FRAME } from '../support/fleetpulse-cli.ts';

const TOKEN = 'test-token';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** What the double answers: GET /commands/{COMMAND_ID} walks `sequence` (then stays on its last). */
const double = {
  sequence: [] as CommandDetail[],
  served: 0,
  /** Device outcome pages after the first, by cursor. */
  pages: new Map<string, CommandDetail>(),
  received: [] as Received[],
};

let server: Server;
let target: ApiTarget;
let api: string[];

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function answer(status: number, body: unknown) {
  return { status, body: JSON.stringify(body) };
}

async function route(req: IncomingMessage): Promise<{ status: number; body: string }> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await bodyOf(req);
  double.received.push({
    method: req.method ?? '',
    url: `${url.pathname}${url.search}`,
    authorization: req.headers.authorization,
    body,
  });
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return answer(401, { message: 'Unauthorized' });
  if (req.method === 'POST' && url.pathname === '/commands') {
    const parsed = CreateCommandSchema.safeParse(body);
    if (!parsed.success) return answer(400, { message: 'invalid body' });
    const view = CommandViewSchema.parse({
      ...commandView({}, 'fanning-out'),
      type: parsed.data.type,
      target: parsed.data.target,
      params: parsed.data.params,
    });
    return answer(202, view);
  }
  if (req.method === 'GET' && url.pathname === `/commands/${COMMAND_ID}`) {
    const cursor = url.searchParams.get('cursor');
    const page = cursor ? double.pages.get(cursor) : undefined;
    if (cursor && !page) return answer(400, { message: 'invalid cursor' });
    if (page) return answer(200, CommandDetailSchema.parse(page));
    const next = double.sequence[Math.min(double.served, double.sequence.length - 1)];
    double.served += 1;
    return answer(200, CommandDetailSchema.parse(next));
  }
  if (url.pathname.startsWith('/commands/')) return answer(404, { message: 'command is not known' });
  return answer(404, { message: 'Not Found' });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    route(req).then(
      ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
      (err: unknown) => res.writeHead(500).end(JSON.stringify({ message: String(err) })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  target = { apiUrl: url, token: TOKEN };
  api = ['--api-url', url, '--token', TOKEN, '--interval', '10ms'];
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  double.sequence = [];
  double.served = 0;
  double.pages.clear();
  double.received = [];
});

const RUNNING = [
  commandDetail(commandView({}, 'fanning-out')),
  commandDetail(commandView({ queued: 2, dispatched: 1 }, 'in-progress')),
  commandDetail(commandView({ queued: 2, dispatched: 1 }, 'in-progress')),
  commandDetail(commandView({ dispatched: 1, succeeded: 2 }, 'in-progress')),
];

describe('waiting for a command (polling logic)', () => {
  it('polls until the command is finished, showing each new totals line once', async () => {
    double.sequence = [...RUNNING, commandDetail(commandView({ succeeded: 3 }, 'completed'))];
    const lines: string[] = [];

    const result = await waitForCommand(async () => (await getCommand(target, COMMAND_ID)).command, {
      timeoutMs: 10_000,
      intervalMs: 5,
      progress: progressLine({ isTTY: false, write: (c: string) => lines.push(c) }),
    });

    expect(result.timedOut).toBe(false);
    expect(result.view.status).toBe('completed');
    expect(double.served).toBe(5);
    expect(lines).toEqual([
      `${COMMAND_ID} ping fanning-out: 0/0 done · no devices yet\n`,
      `${COMMAND_ID} ping in-progress: 0/3 done · queued 2 · dispatched 1\n`,
      `${COMMAND_ID} ping in-progress: 2/3 done · dispatched 1 · succeeded 2\n`,
      `${COMMAND_ID} ping completed: 3/3 done · succeeded 3\n`,
    ]);
  });

  it('gives up at the timeout with the last state it saw', async () => {
    double.sequence = RUNNING;

    const result = await waitForCommand(async () => (await getCommand(target, COMMAND_ID)).command, {
      timeoutMs: 100,
      intervalMs: 10,
      progress: progressLine({ write: () => undefined }),
    });

    expect(result.timedOut).toBe(true);
    expect(result.view.status).toBe('in-progress');
  });

  it('reads device outcomes over every page, or stops once it has enough', async () => {
    double.sequence = [
      commandDetail(commandView({ failed: 3 }, 'completed'), [outcome('a', 'failed')], 'p2'),
    ];
    double.pages.set(
      'p2',
      commandDetail(commandView({ failed: 3 }, 'completed'), [outcome('b', 'failed')], 'p3'),
    );
    double.pages.set('p3', commandDetail(commandView({ failed: 3 }, 'completed'), [outcome('c', 'failed')]));

    const all = await deviceOutcomes(target, COMMAND_ID);
    const two = await deviceOutcomes(target, COMMAND_ID, { enough: 2 });

    expect(all.map((o) => o.deviceId)).toEqual(['a', 'b', 'c']);
    expect(two.map((o) => o.deviceId)).toEqual(['a', 'b']);
  });
});

describe('fleetpulse commands wait', () => {
  it('exits 0 when every device succeeded, with plain progress lines on stderr when not a terminal', async () => {
    double.sequence = [...RUNNING, commandDetail(commandView({ succeeded: 3 }, 'completed'))];

    const run = await fleetpulse(['commands', 'wait', COMMAND_ID, ...api]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${COMMAND_ID}: all 3 devices succeeded\n`);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\u001b');
    expect(run.stderr.trim().split('\n')).toEqual([
      `${COMMAND_ID} ping fanning-out: 0/0 done · no devices yet`,
      `${COMMAND_ID} ping in-progress: 0/3 done · queued 2 · dispatched 1`,
      `${COMMAND_ID} ping in-progress: 2/3 done · dispatched 1 · succeeded 2`,
      `${COMMAND_ID} ping completed: 3/3 done · succeeded 3`,
    ]);
    expect(double.received.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('exits 1 with a summary naming the devices that did not succeed and why', async () => {
    const done = commandView({ succeeded: 1, failed: 1, 'timed-out': 1 }, 'completed');
    double.sequence = [
      commandDetail(done, [
        outcome('pc-1', 'succeeded'),
        outcome('pc-2', 'failed', 'not confirmed: no connection from the target within 5 min'),
        outcome('pc-3', 'timed-out'),
      ]),
    ];

    const run = await fleetpulse(['commands', 'wait', COMMAND_ID, ...api]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${COMMAND_ID} completed: 1 of 3 succeeded · succeeded 1 · failed 1 · timed-out 1`,
    );
    expect(run.stderr).toContain(
      '  pc-2: failed — not confirmed: no connection from the target within 5 min',
    );
    expect(run.stderr).toContain('  pc-3: timed-out');
    expect(run.stderr).not.toContain('pc-1');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('exits 2 when the wait times out, and prints the last state as JSON with --json', async () => {
    // Never finishes, whichever poll the timeout falls after.
    double.sequence = [commandDetail(commandView({ queued: 2, dispatched: 1 }, 'in-progress'))];

    const run = await fleetpulse(['commands', 'wait', COMMAND_ID, ...api, '--timeout', '300ms', '--json']);

    expect(run.code).toBe(2);
    expect(CommandViewSchema.parse(JSON.parse(run.stdout)).status).toBe('in-progress');
    expect(run.stderr).toMatch(/still in-progress after the wait timed out/);
  });

  it('says how to find a command when the id is unknown, and refuses what is not an id', async () => {
    const unknown = await fleetpulse(['commands', 'wait', 'cmd-0000000000', ...api]);
    const malformed = await fleetpulse(['commands', 'wait', 'ping-1', ...api]);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /no command cmd-0000000000 \(404 command is not known\); list them with `fleetpulse commands list`/,
    );
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toMatch(/must be a command id/);
    expect(double.received.filter((r) => r.url.includes('ping-1'))).toEqual([]);
  });
});

describe('fleetpulse commands create and devices wake', () => {
  it('posts the body the flags describe, then follows the command with --wait', async () => {
    double.sequence = [commandDetail(commandView({ succeeded: 1 }, 'completed'))];

    const run = await fleetpulse([
      'commands',
      'create',
      '--type',
      'inventory-resync',
      '--group',
      'lab',
      '--status',
      'online',
      '--expires',
      '2h',
      '--client-token',
      'tok-1',
      '--max-per-minute',
      '60',
      '--wait',
      ...api,
    ]);

    expect(run.code, run.stderr).toBe(0);
    expect(double.received[0]).toMatchObject({
      method: 'POST',
      url: '/commands',
      body: {
        type: 'inventory-resync',
        target: { group: 'lab', status: 'online' },
        expiresInSec: 7200,
        clientToken: 'tok-1',
        rollout: { maxPerMinute: 60 },
      },
    });
    expect(run.stderr).toContain(`${COMMAND_ID} created; waiting for it`);
    expect(run.stdout).toContain('all 1 devices succeeded');
  });

  it('wakes devices with a SecureOn password, printing the created command as JSON', async () => {
    const run = await fleetpulse([
      'devices',
      'wake',
      'pc-1',
      'pc-2',
      '--secure-on',
      '3C:52:82:0A:1B:2C',
      '--json',
      ...api,
    ]);

    expect(run.code, run.stderr).toBe(0);
    expect(double.received[0]?.body).toEqual({
      type: 'wake',
      target: { deviceIds: ['pc-1', 'pc-2'] },
      params: { secureOn: '3c:52:82:0a:1b:2c' },
    });
    expect(CommandViewSchema.parse(JSON.parse(run.stdout))).toMatchObject({
      commandId: COMMAND_ID,
      type: 'wake',
      target: { deviceIds: ['pc-1', 'pc-2'] },
    });
  });

  it('sends nothing when the flags are wrong, and says which', async () => {
    const run = await fleetpulse(['commands', 'create', '--type', 'ping', '--subnet', '10.0.0.0/4', ...api]);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'fleetpulse: cannot create the command: --subnet: subnet prefix must be /8 or longer\n',
    );
    expect(double.received).toEqual([]);
  });
});
