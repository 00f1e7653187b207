/**
 * The report as people read it: one row per check per path, the remedy under the row it belongs
 * to, then the path the agent would use. Details are long sentences (the interception message is
 * quoted whole), so they are never cut: the remedy goes on its own line instead of a column.
 */
import type { DiagnoseReport } from './report.ts';

export function renderReport(report: DiagnoseReport): string {
  const { endpoint } = report;
  const headers = ['PATH', 'CHECK', 'RESULT'] as const;
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...report.rows.map((r) => [r.path, r.check, r.result][i]?.length ?? 0)),
  );
  const indent = widths.reduce((sum, w) => sum + w + 2, 0);
  const line = (cells: readonly string[], detail: string) =>
    `${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}  ${detail}`.trimEnd();
  const lines = [
    `fleetpulse-agent diagnose: device ${report.deviceId}, endpoint ${endpoint.host}:${endpoint.port}` +
      `${endpoint.alpn === null ? '' : ` (ALPN ${endpoint.alpn})`}, ${report.paths.length} path(s), ` +
      `${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    line(headers, 'DETAIL'),
  ];
  for (const row of report.rows) {
    lines.push(line([row.path, row.check, row.result], row.detail));
    if (row.remedy !== null && (row.result === 'fail' || row.result === 'warn')) {
      lines.push(`${' '.repeat(indent)}remedy: ${row.remedy}`);
    }
  }
  lines.push('', ...report.notes.map((n) => `Note: ${n}`), `Result: ${report.summary}`);
  return `${lines.join('\n')}\n`;
}
