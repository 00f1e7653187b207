/**
 * Inventory reports: the device state is a set of sections; collections inside a section are maps
 * keyed by stable ids, so a differential report is a per-section JSON merge patch (RFC 7396) and an
 * install/uninstall touches one key.
 *
 * Reports are framed and compressed (see encoding.ts) and published QoS 1 on dt/fleet/{id}/report.
 */
import * as z from 'zod';
import { isJsonObject, type JsonObject } from './json-object.ts';

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

/**
 * Any JSON object. Section contents are open: collectors evolve faster than the cloud. Passed
 * through as decoded (not rebuilt, as z.record would: it drops a `__proto__` key), so every key a
 * device sends is kept as data.
 */
export const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, { message: 'expected a JSON object' });
export type { JsonObject };

/**
 * Section name → content. Checked member by member instead of rebuilt (z.partialRecord would
 * silently skip a `__proto__` member): an unknown name, `__proto__` included, is refused.
 */
const SectionsSchema = z
  .custom<Partial<Record<SectionName, JsonObject>>>(isJsonObject, { message: 'expected an object' })
  .superRefine((sections, ctx) => {
    for (const [name, content] of Object.entries(sections)) {
      if (!(SECTION_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown section ${JSON.stringify(name)}`, path: [name] });
      } else if (!isJsonObject(content)) {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object', path: [name] });
      }
    }
  });

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
  sections: SectionsSchema,
});

export const DiffReportSchema = z.object({
  ...ReportBase,
  kind: z.literal('diff'),
  /** The sequence this diff applies on. */
  baseSeq: Seq,
  /** Per-section merge patches (null deletes a key). A section absent here is unchanged. */
  patches: SectionsSchema,
});

export const ReportSchema = z
  .discriminatedUnion('kind', [FullReportSchema, DiffReportSchema])
  .refine((r) => r.kind === 'full' || r.baseSeq < r.seq, {
    message: 'a diff must apply on an older sequence',
  });
export type FullReport = z.infer<typeof FullReportSchema>;
export type DiffReport = z.infer<typeof DiffReportSchema>;
export type Report = z.infer<typeof ReportSchema>;
