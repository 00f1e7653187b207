/**
 * Inventory reports: the device state is a set of sections; collections inside a section are maps
 * keyed by stable ids, so a differential report is a per-section JSON merge patch (RFC 7396) and an
 * install/uninstall touches one key.
 *
 * Reports are framed and compressed (see encoding.ts) and published QoS 1 on dt/fleet/{id}/report.
 */
import { z } from 'zod';

export const SECTION_NAMES = [
  'hardware',
  'os',
  'network',
  'software',
  'services',
  'users',
  'security',
] as const;
export const SectionNameSchema = z.enum(SECTION_NAMES);
export type SectionName = z.infer<typeof SectionNameSchema>;

/** Any JSON object. Section contents are open: collectors evolve faster than the cloud. */
export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = Record<string, unknown>;

const Seq = z.number().int().nonnegative();

export const CollectorErrorSchema = z.object({
  section: SectionNameSchema,
  reason: z.string().max(1024),
});

const ReportBase = {
  schema: z.literal(1),
  /**
   * Identifies the agent's sequence store. A reinstalled agent starts a new epoch (and a new
   * sequence from 1); the cloud accepts a full report of a new epoch as the new base.
   */
  epoch: z.string().min(1).max(64),
  seq: Seq,
  collectedAt: z.number().int().nonnegative(),
  agentVersion: z.string().min(1).max(64),
  /** Collectors that failed or timed out: their sections keep the last known value. */
  errors: z.array(CollectorErrorSchema).max(32).default([]),
};

export const FullReportSchema = z.object({
  ...ReportBase,
  kind: z.literal('full'),
  sections: z.partialRecord(SectionNameSchema, JsonObjectSchema),
});

export const DiffReportSchema = z.object({
  ...ReportBase,
  kind: z.literal('diff'),
  /** The sequence this diff applies on. */
  baseSeq: Seq,
  /** Per-section merge patches (null deletes a key). A section absent here is unchanged. */
  patches: z.partialRecord(SectionNameSchema, JsonObjectSchema),
});

export const ReportSchema = z
  .discriminatedUnion('kind', [FullReportSchema, DiffReportSchema])
  .refine((r) => r.kind === 'full' || r.baseSeq < r.seq, {
    message: 'a diff must apply on an older sequence',
  });
export type FullReport = z.infer<typeof FullReportSchema>;
export type DiffReport = z.infer<typeof DiffReportSchema>;
export type Report = z.infer<typeof ReportSchema>;
