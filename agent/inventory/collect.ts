/**
 * Runs every collector with a timeout. A collector that fails or times out never fails the pass:
 * it is listed in `errors`, and its section keeps the last known value (or stays absent).
 */
import { SECTION_NAMES } from '#protocol/inventory.ts';
import { withoutNulls } from '#protocol/merge-patch.ts';
import type { CollectedInventory, CollectorError, InventorySections, SectionCollector } from './sections.ts';

export class CollectorTimeoutError extends Error {
  override readonly name = 'CollectorTimeoutError';
}

export interface CollectOptions {
  timeoutMs: number;
  now?: () => number;
}

export async function collectInventory(
  collectors: readonly SectionCollector[],
  lastKnown: InventorySections,
  { timeoutMs, now = Date.now }: CollectOptions,
): Promise<CollectedInventory> {
  const outcomes = await Promise.allSettled(
    collectors.map((collector) => withTimeout(collector.collect(), timeoutMs, collector.section)),
  );
  const sections: InventorySections = {};
  const errors: CollectorError[] = [];
  outcomes.forEach((outcome, i) => {
    const { section } = collectors[i] as SectionCollector;
    if (outcome.status === 'fulfilled') {
      sections[section] = withoutNulls(outcome.value);
      return;
    }
    errors.push({ section, reason: describe(outcome.reason).slice(0, 1024) });
    const previous = lastKnown[section];
    if (previous !== undefined) sections[section] = previous;
  });
  return { sections: inSectionOrder(sections), errors, collectedAt: now() };
}

/** Section order fixed by the protocol, so equal states serialise identically. */
function inSectionOrder(sections: InventorySections): InventorySections {
  const ordered: InventorySections = {};
  for (const name of SECTION_NAMES) {
    const value = sections[name];
    if (value !== undefined) ordered[name] = value;
  }
  return ordered;
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, section: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CollectorTimeoutError(`${section} collector timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  return String(reason);
}
