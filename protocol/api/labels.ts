/**
 * Operator labels on a device (`group`, `site`, free `tags`), as `PATCH /devices/{id}` takes them and
 * as selectors match them. Stored on the device record (devices table) under `labels`.
 */
import * as z from 'zod';

export const LABEL_VALUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const LabelValueSchema = z
  .string()
  .regex(LABEL_VALUE_PATTERN, 'a label must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}');

export const DeviceLabelsSchema = z.object({
  group: LabelValueSchema.optional(),
  site: LabelValueSchema.optional(),
  /** Free tags, each a label value; a set (no order, no duplicates). */
  tags: z.array(LabelValueSchema).max(32).optional(),
});
export type DeviceLabels = z.infer<typeof DeviceLabelsSchema>;

/**
 * `PATCH /devices/{id}`: merge-patch of the labels — a field set replaces it, `null` removes it, an
 * absent field is left as is. `tags` replaces the whole set.
 */
export const PatchDeviceLabelsSchema = z
  .object({
    group: LabelValueSchema.nullable().optional(),
    site: LabelValueSchema.nullable().optional(),
    tags: z.array(LabelValueSchema).max(32).nullable().optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change: give group, site or tags');
export type PatchDeviceLabels = z.infer<typeof PatchDeviceLabelsSchema>;
