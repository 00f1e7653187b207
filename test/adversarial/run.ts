/**
 * Runs kinds one after another against one local cloud, and after each checks what must always
 * hold: the cloud is up, a control device still works, the victim device is untouched.
 */

import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import {
  type AdversarialContext,
  assertControlWorks,
  assertVictimUntouched,
  createContext,
} from './context.ts';
import type { Entry, Kind } from './kind.ts';

export interface KindResult {
  readonly kind: Kind;
  readonly passed: boolean;
  readonly error?: string;
  readonly ms: number;
}

export interface AdversarialCloud {
  readonly t: TestCloud;
  readonly ctx: AdversarialContext;
  stop(): Promise<void>;
}

/** The local cloud the kinds run against: real handlers, fast retries so failures show in seconds. */
export async function startAdversarialCloud(): Promise<AdversarialCloud> {
  const t = await startTestCloud({ queueVisibilityTimeoutSec: 1, ruleRetryDelaysMs: [50, 50] });
  const ctx = await createContext(t);
  return {
    t,
    ctx,
    async stop() {
      await ctx.deadLetters.stop();
      await t.cleanup();
    },
  };
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

/** Runs one kind and the invariants after it; never throws. */
export async function runKind(ctx: AdversarialContext, kind: Kind): Promise<KindResult> {
  const started = Date.now();
  try {
    await kind.run(ctx);
    await assertControlWorks(ctx);
    await assertVictimUntouched(ctx);
    return { kind, passed: true, ms: Date.now() - started };
  } catch (err) {
    return { kind, passed: false, error: describeError(err), ms: Date.now() - started };
  }
}

export function formatTable(results: readonly KindResult[]): string {
  const entries: Entry[] = ['mqtt', 'api', 'cli', 'fault'];
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.passed ? 'pass' : 'FAIL';
    lines.push(
      `${mark}  ${r.kind.entry.padEnd(5)}  ${r.kind.name}${r.passed ? '' : `\n        ${r.error}${r.kind.waitsFor ? ` [waits for ${r.kind.waitsFor}]` : ''}`}`,
    );
  }
  lines.push('', 'entry   tried  passed  failed');
  for (const entry of entries) {
    const mine = results.filter((r) => r.kind.entry === entry);
    const passed = mine.filter((r) => r.passed).length;
    lines.push(
      `${entry.padEnd(6)}  ${String(mine.length).padStart(5)}  ${String(passed).padStart(6)}  ${String(mine.length - passed).padStart(6)}`,
    );
  }
  const passed = results.filter((r) => r.passed).length;
  lines.push(
    `${'total'.padEnd(6)}  ${String(results.length).padStart(5)}  ${String(passed).padStart(6)}  ${String(results.length - passed).padStart(6)}`,
  );
  return lines.join('\n');
}
