/** How `fleetpulse devices get` shows the path a device reaches the cloud by, and what failed on the way. */
import { ConnectivitySchema, OutboxStatusSchema } from '#protocol/heartbeat.ts';

export function connectivityLines(value: unknown): string[] {
  const parsed = ConnectivitySchema.safeParse(value);
  if (!parsed.success) return ['path: -'];
  const c = parsed.data;
  const via =
    c.proxy === null
      ? 'direct'
      : `proxy ${c.proxy}${c.proxySource === undefined ? '' : ` (from ${c.proxySource})`}`;
  const rtt = c.rttMs === null ? '' : `, RTT ${c.rttMs}ms`;
  const lines = [`path: ${via}, ${c.transport} on port ${c.port}${rtt}`];
  if (c.pathFailures !== undefined && c.pathFailures.length > 0) {
    lines.push(
      'path failures at the last connect:',
      ...c.pathFailures.map((f) => `  ${f.path}: ${f.reason}`),
    );
  }
  if (c.interception !== undefined) lines.push(`interception: ${c.interception}`);
  return lines;
}

/** The agent's store-and-forward queue and what its bounds cost since install. */
export function outboxLine(value: unknown): string {
  const parsed = OutboxStatusSchema.safeParse(value);
  if (!parsed.success) return 'outbox: -';
  const o = parsed.data;
  return (
    `outbox: ${o.queued} queued (${Math.ceil(o.bytes / 1024)} KiB); since install ` +
    `${o.analyzerBatchesDropped} analyzer batches dropped, ${o.inventoryCollapses} inventory backlogs collapsed`
  );
}
