/** What one check found: the row of the table without its path, check name and duration. */
import type { CheckResult } from './report.ts';

export interface Outcome {
  readonly result: CheckResult;
  readonly detail: string;
  readonly remedy: string | null;
}

export const ok = (detail: string): Outcome => ({ result: 'ok', detail, remedy: null });
export const warn = (detail: string, remedy: string | null): Outcome => ({ result: 'warn', detail, remedy });
export const fail = (detail: string, remedy: string): Outcome => ({ result: 'fail', detail, remedy });
export const skip = (detail: string): Outcome => ({ result: 'skip', detail, remedy: null });

export const errorCode = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');
export { errorMessage } from '../logger.ts';
