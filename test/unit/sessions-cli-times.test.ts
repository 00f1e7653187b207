import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { duration, parseTime } from '#cli/sessions-command.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('parseTime (sessions --from/--to)', () => {
  it.each([
    ['90m', '2026-11-29T10:30:00.000Z'],
    ['24h', '2026-11-28T12:00:00.000Z'],
    ['7d', '2026-11-22T12:00:00.000Z'],
    ['2026-11-29T08:00:00Z', '2026-11-29T08:00:00.000Z'],
    ['2026-11-29T08:00:00+02:00', '2026-11-29T06:00:00.000Z'],
    ['2026-11-29T08:00', '2026-11-29T08:00:00.000Z'],
    ['2026-11-29', '2026-11-29T00:00:00.000Z'],
  ])('reads %s as %s (UTC when no zone is given)', (input, iso) => {
    expect(parseTime(input, NOW)).toBe(iso);
  });

  it.each(['yesterday', '', '24', '5y', '2026-13-45T99:00:00Z', '1700000000000'])('refuses %j', (input) => {
    expect(() => parseTime(input, NOW)).toThrow(InvalidArgumentError);
  });
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [270, '4m 30s'],
    [7500, '2h 05m'],
  ])('shows %i seconds as %s', (sec, text) => {
    expect(duration(sec)).toBe(text);
  });
});
