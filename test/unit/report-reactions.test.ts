import { describe, expect, it } from 'vitest';
import { isPermanentError } from '#lambdas/commons/errors.ts';
import {
  type ReactionContext,
  type ReportReaction,
  ReportReactionError,
  runReportReactions,
  type SettledReport,
} from '#lambdas/inventory/report-reaction.ts';
import { reportReactions } from '#lambdas/inventory/report-reactions.ts';
import { networkIndexReaction } from '#lambdas/targets/network-reaction.ts';
import { functions } from '#wiring/fleet.ts';
import { reportReactions as wiredReactions } from '#wiring/inventory.ts';

const settled = (over: Partial<SettledReport> = {}): SettledReport => ({
  deviceId: 'dev-1',
  outcome: 'applied',
  changedSections: ['software'],
  receivedAt: 1,
  ...over,
});

function context() {
  const errors: unknown[] = [];
  const ctx: ReactionContext = {
    logger: { info: () => undefined, error: (_message: string, detail: unknown) => errors.push(detail) },
    metrics: { addMetric: () => undefined },
  };
  return { ctx, errors };
}

const reaction = (name: string, ran: string[], wants: boolean, fail = false): ReportReaction => ({
  name,
  wants: () => wants,
  react: async () => {
    ran.push(name);
    if (fail) throw new Error(`${name} broke`);
  },
});

describe('report reactions', () => {
  it('runs only the reactions that want the outcome', async () => {
    const ran: string[] = [];

    await runReportReactions([reaction('a', ran, true), reaction('b', ran, false)], settled(), context().ctx);

    expect(ran).toEqual(['a']);
  });

  it('runs the others when one fails, then fails the record with a retryable error naming it', async () => {
    const ran: string[] = [];
    const { ctx, errors } = context();

    const run = runReportReactions(
      [reaction('bad', ran, true, true), reaction('good', ran, true)],
      settled(),
      ctx,
    );

    await expect(run).rejects.toThrow(/bad/);
    await expect(run).rejects.toBeInstanceOf(ReportReactionError);
    expect(isPermanentError(new ReportReactionError('x'))).toBe(false);
    expect(ran.sort()).toEqual(['bad', 'good']);
    expect(errors).toHaveLength(1);
  });

  it('reindexes the network when its section changed or a report came again, and not otherwise', () => {
    expect(networkIndexReaction.wants(settled({ changedSections: ['network', 'software'] }))).toBe(true);
    expect(networkIndexReaction.wants(settled({ outcome: 'duplicate', changedSections: [] }))).toBe(true);
    expect(networkIndexReaction.wants(settled({ changedSections: ['software', 'services'] }))).toBe(false);
    expect(networkIndexReaction.wants(settled({ outcome: 'held', changedSections: [] }))).toBe(false);
  });

  it('lists the access of every registered reaction in the wiring, in the same order', () => {
    expect(wiredReactions.map((r) => r.name)).toEqual(reportReactions.map((r) => r.name));
    expect(functions.reports.access.tables).toMatchObject({
      deviceIndex: 'readWrite',
      inventory: 'readWrite',
    });
  });
});

describe('least privilege of the labels API', () => {
  it('writes the device records and their index, nothing else; the device API stays read-only', () => {
    expect(functions.deviceLabelsApi.access).toEqual({
      tables: { devices: 'readWrite', deviceIndex: 'readWrite' },
    });
    expect(functions.devicesApi.access).toEqual({ tables: { devices: 'read' } });
  });
});
