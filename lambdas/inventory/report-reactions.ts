/**
 * The report reactions features register, one line each. The access a reaction needs is declared by
 * its feature's wiring and listed in wiring/inventory.ts (`reportReactions`), in the same order.
 */
import { networkIndexReaction } from '../targets/network-reaction.ts';
import type { ReportReaction } from './report-reaction.ts';

export const reportReactions: readonly ReportReaction[] = [networkIndexReaction];
