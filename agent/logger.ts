/**
 * The agent's logger: one JSON line per event on stderr (journald / Windows event forwarding
 * friendly), filtered by level. `silent` is for simulated fleets and tests.
 */
import type { AgentLogger } from './module.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogSink = (line: string) => void;

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  sink: LogSink = (line) => process.stderr.write(`${line}\n`),
): AgentLogger {
  const emit = (at: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (rank[at] < rank[level]) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...base, ...fields }));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

export const silentLogger: AgentLogger = createLogger('silent');

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
