/** The local cloud's own console logger (handlers log through Powertools, configured by env). */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Log {
  readonly level: LogLevel;
  error(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  debug(message: string, detail?: unknown): void;
}

export function createLog(level: LogLevel, scope = 'local-cloud'): Log {
  const write =
    (at: Exclude<LogLevel, 'silent'>) =>
    (message: string, detail?: unknown): void => {
      if (rank[at] > rank[level]) return;
      const line = `[${scope}] ${at.toUpperCase()} ${message}`;
      const stream = at === 'error' || at === 'warn' ? console.error : console.log;
      if (detail === undefined) stream(line);
      else stream(line, detail instanceof Error ? (detail.stack ?? detail.message) : detail);
    };
  return { level, error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}

/** Powertools' level names for the same setting. */
export function powertoolsLogLevel(level: LogLevel): string {
  return level === 'silent' ? 'SILENT' : level.toUpperCase();
}
