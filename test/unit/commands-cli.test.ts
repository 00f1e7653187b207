/**
 * The pure parts of `fleetpulse commands` and `devices wake`: flags → the POST /commands body (every
 * problem refused at once, in flag words), durations, and how commands, totals, progress and the
 * final summary read. No network.
 */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CreateCommandSchema } from '#protocol/api/commands.ts';
import { createBody, parseDurationMs, parseDurationSec, percentArg } from '../../cli/commands-args.ts';
import {
  allSucceeded,
  commandRow,
  failureSummary,
  isFinished,
  progressText,
  selectorText,
  totalsText,
} from '../../cli/commands-format.ts';
import { progressLine } from '../../cli/commands-wait.ts';
import { COMMAND_ID, commandView, outcome } from '../support/command-details.ts';

describe('createBody', () => {
  it('builds the body the contract accepts from the flags', () => {
    const body = createBody({
      type: 'inventory-resync',
      device: ['d1', 'd2', 'd1'],
      status: 'online',
      expires: 600,
      clientToken: 'nightly-1',
      maxPerMinute: 100,
      abortFailedPercent: 5,
      abortAfter: 50,
    });

    expect(body).toEqual({
      type: 'inventory-resync',
      target: { deviceIds: ['d1', 'd2'], status: 'online' },
      expiresInSec: 600,
      clientToken: 'nightly-1',
      rollout: { maxPerMinute: 100, abort: { failedPercent: 5, afterDevices: 50 } },
    });
    expect(CreateCommandSchema.safeParse(body).success).toBe(true);
  });

  it('sends a wake SecureOn password normalised, and the whole fleet only when asked', () => {
    expect(createBody({ type: 'wake', device: ['pc-1'], secureOn: '3C-52-82-0A-1B-2C' })).toMatchObject({
      params: { secureOn: '3C-52-82-0A-1B-2C' },
    });
    expect(createBody({ type: 'ping', all: true }).target).toEqual({ all: true });
  });

  it('refuses a command with no target instead of sending it to everyone', () => {
    expect(() => createBody({ type: 'ping' })).toThrow(/say which devices: --device <id\.\.\.>.*--all/);
  });

  it('names every problem at once, by the flag to fix', () => {
    let message = '';
    try {
      createBody({
        type: 'ping',
        subnet: '10.0.0.0/4',
        group: 'no spaces',
        abortAfter: 3,
        expires: 5,
        clientToken: 'has space',
        secureOn: 'aa:bb:cc:dd:ee:ff',
      });
    } catch (err) {
      message = (err as Error).message;
    }

    expect(message).toMatch(/^cannot create the command: /);
    for (const part of [
      '--abort-failed-percent and --abort-after go together',
      'give --max-per-minute too',
      '--secure-on is for --type wake only',
      '--subnet: subnet prefix must be /8 or longer',
      '--group: a label must match',
      '--expires (in seconds):',
      '--client-token:',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('names which of several device ids is wrong', () => {
    expect(() => createBody({ type: 'ping', device: ['ok-1', 'not ok'] })).toThrow(
      /--device not ok: device id must match/,
    );
  });
});

describe('durations and numbers', () => {
  it('reads ms, s, m, h and d', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationSec('1h')).toBe(3600);
    expect(parseDurationSec('7d')).toBe(604_800);
  });

  it('refuses what is not a duration, and fractions of a second where seconds are sent', () => {
    expect(() => parseDurationMs('1 hour')).toThrow(InvalidArgumentError);
    expect(() => parseDurationMs('-5s')).toThrow(InvalidArgumentError);
    expect(() => parseDurationSec('1500ms')).toThrow(/whole seconds/);
    expect(() => percentArg('101')).toThrow(/0 to 100/);
    expect(percentArg('2.5')).toBe(2.5);
  });
});

describe('how commands read', () => {
  it('says the target in a few words', () => {
    expect(selectorText({ deviceIds: ['a', 'b', 'c', 'd', 'e'] })).toBe('devices a, b, c (+2)');
    expect(selectorText({ deviceIds: ['a'] })).toBe('device a');
    expect(selectorText({ group: 'lab', status: 'online' })).toBe('group=lab status=online');
    expect(selectorText({ all: true })).toBe('all devices');
  });

  it('shows the totals of every state with devices, in lifecycle order, and the done count', () => {
    const view = commandView(
      { failed: 1, queued: 2, succeeded: 5, dispatched: 1, acknowledged: 0 },
      'in-progress',
    );

    expect(totalsText(view)).toBe('queued 2 · dispatched 1 · succeeded 5 · failed 1');
    expect(progressText(view)).toBe(
      `${COMMAND_ID} ping in-progress: 6/9 done · queued 2 · dispatched 1 · succeeded 5 · failed 1`,
    );
    expect(commandRow(view, view.createdAt + 120_000)).toEqual([
      COMMAND_ID,
      'ping',
      'in-progress',
      'group=lab',
      '9',
      '6',
      '5',
      '2m ago',
    ]);
  });

  it('calls a command done only in a final status, and successful only when every device succeeded', () => {
    expect(isFinished(commandView({ succeeded: 3 }, 'in-progress'))).toBe(false);
    expect(isFinished(commandView({ canceled: 3 }, 'canceled'))).toBe(true);
    expect(allSucceeded(commandView({ succeeded: 3 }, 'completed'))).toBe(true);
    expect(allSucceeded(commandView({ succeeded: 2, expired: 1 }, 'completed'))).toBe(false);
    expect(allSucceeded(commandView({}, 'completed'))).toBe(false);
  });

  it('sums up a command that did not fully succeed with the devices and reasons', () => {
    const view = commandView({ succeeded: 8, failed: 1, expired: 3 }, 'completed');
    const summary = failureSummary(
      view,
      [outcome('pc-9', 'failed', 'no bridge online in 10.1.2.0/24'), outcome('pc-3', 'expired')],
      false,
    );

    expect(summary.split('\n')).toEqual([
      `${COMMAND_ID} completed: 8 of 12 succeeded · succeeded 8 · failed 1 · expired 3`,
      '  pc-9: failed — no bridge online in 10.1.2.0/24',
      '  pc-3: expired',
      `  … see all: fleetpulse commands show ${COMMAND_ID} --devices`,
    ]);
    expect(failureSummary(commandView({ queued: 1 }, 'in-progress'), [], true)).toMatch(
      /is still in-progress after the wait timed out: 0 of 1 done/,
    );
  });
});

describe('progressLine', () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, isTTY, write: (c: string) => chunks.push(c) };
  };

  it('rewrites one line in place on a terminal, and ends it with a newline', () => {
    const tty = sink(true);
    const line = progressLine(tty);

    line.show('queued 2');
    line.show('queued 2');
    line.show('succeeded 2');
    line.end();

    expect(tty.chunks).toEqual(['\r\x1b[2Kqueued 2', '\r\x1b[2Ksucceeded 2', '\n']);
  });

  it('writes one plain line per change elsewhere (logs, CI), never a control character', () => {
    const plain = sink(false);
    const line = progressLine(plain);

    line.show('queued 2');
    line.show('queued 2');
    line.show('succeeded 2');
    line.end();

    expect(plain.chunks).toEqual(['queued 2\n', 'succeeded 2\n']);
  });
});
