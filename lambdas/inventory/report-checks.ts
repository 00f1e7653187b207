/**
 * What a report must be before the store takes it: content the store can represent (no nulls in a
 * full report, sections within their size), and — since delivery is at-least-once — the same report
 * as the one already accepted under its sequence, compared by a digest that ignores encoding.
 */
import { createHash } from 'node:crypto';
import { ProtocolError } from '#lambdas/commons/errors.ts';
import { decodeFramed } from '#protocol/encoding.ts';
import { type JsonObject, type Report, ReportSchema } from '#protocol/inventory.ts';
import type { CapacityMeter, InventoryDeps } from './deps.ts';
import { changeSk } from './keys.ts';
import { type ChangeItem, changeEpochAt, getItem, type MetaItem } from './persistence.ts';
import { isJsonObject, sectionBytes } from './shards.ts';

/** A section larger than this (serialized) is refused: it would not fit the shard limits. */
export const MAX_SECTION_BYTES = 512 * 1024;

/**
 * Refuses content the store cannot represent, before anything is written: object values may not be
 * null in a full report (a merge patch could never reproduce them), and sections have a size limit.
 */
export function checkReportContent(report: Report): void {
  const sections = report.kind === 'full' ? report.sections : report.patches;
  for (const [name, content] of Object.entries(sections)) {
    if (!content) continue;
    if (sectionBytes(content) > MAX_SECTION_BYTES) {
      throw new ProtocolError(`section ${name} is larger than ${MAX_SECTION_BYTES} bytes`);
    }
    if (report.kind === 'full') {
      const path = findNull(content, [name]);
      if (path) throw new ProtocolError(`full report has null at ${path.join('.')}; omit absent values`);
    }
  }
}

function findNull(value: JsonObject, path: string[]): string[] | undefined {
  for (const [key, v] of Object.entries(value)) {
    if (v === null) return [...path, key];
    if (isJsonObject(v)) {
      const found = findNull(v, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Identifies a report's content whatever the key order of the object it was read into (a report
 * parsed from the archive and the same report handed in by the caller must agree): keys are sorted.
 */
export function reportDigest(report: Report): string {
  const hash = createHash('sha256');
  const feed = (value: unknown): void => {
    if (Array.isArray(value)) {
      hash.update('[');
      for (const item of value) {
        feed(item);
        hash.update(',');
      }
      hash.update(']');
    } else if (value !== null && typeof value === 'object') {
      hash.update('{');
      for (const key of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        hash.update(JSON.stringify(key));
        hash.update(':');
        feed(v);
        hash.update(',');
      }
      hash.update('}');
    } else {
      hash.update(JSON.stringify(value) ?? 'null');
    }
  };
  feed(report);
  return hash.digest('base64url').slice(0, 16);
}

/** Same bytes, or the same report in another encoding. */
export function sameReport(archived: Uint8Array, raw: Uint8Array, report: Report): boolean {
  if (Buffer.from(archived).equals(Buffer.from(raw))) return true;
  try {
    return reportDigest(ReportSchema.parse(decodeFramed(archived))) === reportDigest(report);
  } catch {
    return false;
  }
}

/**
 * Whether the stored epoch run accepted a different report under this one's sequence (its change
 * item says). A sequence the run never applied (superseded before it arrived) has nothing to compare.
 */
export async function conflictsWithAccepted(
  deps: InventoryDeps,
  meta: MetaItem,
  report: Report,
  meter: CapacityMeter,
): Promise<boolean> {
  if (meta.epoch !== report.epoch) return false;
  const sk = changeSk(changeEpochAt(meta), meta.epochTag, report.seq);
  const accepted = await getItem<ChangeItem>(deps, meta.deviceId, sk, meter);
  return accepted !== undefined && accepted.digest !== reportDigest(report);
}

export const conflictingReport = (report: Report): ProtocolError =>
  new ProtocolError(
    `report ${report.seq} of epoch ${report.epoch} differs from the report already accepted with that sequence`,
  );
