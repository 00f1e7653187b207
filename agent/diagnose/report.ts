/**
 * What `fleetpulse-agent diagnose` finds, as one document: the table people read and `--json`
 * are two renderings of it. The schema is the contract for scripts that read `--json`.
 */
import * as z from 'zod';

export const CHECK_RESULTS = ['ok', 'warn', 'fail', 'skip'] as const;
export type CheckResult = (typeof CHECK_RESULTS)[number];

export const CHECK_NAMES = [
  'dns',
  'tcp',
  'proxy-connect',
  'tls',
  'mqtt-connect',
  'pac',
  'cert-validity',
  'cert-key',
  'ca-file',
  'clock',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export const DiagnoseRowSchema = z.object({
  /** `direct`, `proxy http://host:port`, `pac`, or `device` for checks that belong to no path. */
  path: z.string(),
  check: z.enum(CHECK_NAMES),
  result: z.enum(CHECK_RESULTS),
  detail: z.string(),
  /** What to do about a warn or fail; null when there is nothing to do. */
  remedy: z.string().nullable(),
  durationMs: z.number().int().nonnegative(),
});
export type DiagnoseRow = z.infer<typeof DiagnoseRowSchema>;

export const PATH_SOURCES = ['policy', 'config', 'pac', 'env', 'direct'] as const;
export type PathSource = (typeof PATH_SOURCES)[number];

export const DiagnoseReportSchema = z.object({
  deviceId: z.string(),
  endpoint: z.object({
    host: z.string(),
    port: z.number().int(),
    /** The ALPN protocol asked for (x-amzn-mqtt-ca), or null. */
    alpn: z.string().nullable(),
    httpsPort: z.number().int(),
  }),
  startedAt: z.iso.datetime(),
  durationMs: z.number().int().nonnegative(),
  /** Every path in the order the agent tries them, and whether MQTT CONNECT worked on it. */
  paths: z.array(z.object({ path: z.string(), source: z.enum(PATH_SOURCES), mqttConnect: z.boolean() })),
  rows: z.array(DiagnoseRowSchema),
  /** The path the agent would use: the first in order on which MQTT CONNECT worked. */
  usablePath: z.string().nullable(),
  /** Server clock minus local clock, when a path could read it. */
  clockSkewMs: z.number().int().nullable(),
  notes: z.array(z.string()),
  summary: z.string(),
});
export type DiagnoseReport = z.infer<typeof DiagnoseReportSchema>;

/** 0: at least one path can connect; 1: none can. (2, a bad config or usage, is the CLI's.) */
export function exitCodeOf(report: Pick<DiagnoseReport, 'usablePath'>): 0 | 1 {
  return report.usablePath === null ? 1 : 0;
}
