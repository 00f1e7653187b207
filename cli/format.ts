/** Plain-text tables and values for terminals. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function ago(epochMs: unknown, now = Date.now()): string {
  if (typeof epochMs !== 'number') return '-';
  const sec = Math.max(0, Math.round((now - epochMs) / 1000));
  if (sec < 90) return `${sec}s ago`;
  if (sec < 5400) return `${Math.round(sec / 60)}m ago`;
  if (sec < 129_600) return `${Math.round(sec / 3600)}h ago`;
  return `${Math.round(sec / 86_400)}d ago`;
}

/** Epoch milliseconds as UTC ISO-8601 to the second, with how long ago: `2026-11-29T19:35:10Z (3m ago)`. */
export function timestamp(epochMs: unknown, now = Date.now()): string {
  if (typeof epochMs !== 'number' || !Number.isFinite(epochMs)) return '-';
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return String(epochMs);
  return `${date.toISOString().slice(0, 19)}Z (${ago(epochMs, now)})`;
}

/**
 * A field of an API record for display: the API's times are epoch milliseconds in fields named
 * `...At` (lastSeenAt, receivedAt), shown as timestamps; everything else as text.
 */
export function field(name: string, value: unknown, now = Date.now()): string {
  return name.endsWith('At') && typeof value === 'number' ? timestamp(value, now) : text(value);
}

export const text = (value: unknown): string =>
  value === undefined || value === null
    ? '-'
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
