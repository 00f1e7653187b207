/**
 * `GET /devices/{id}/inventory` and `GET /devices/{id}/inventory/changes` as they answer
 * (lambdas/inventory/read-model.ts builds them). Section contents are open JSON objects: collectors
 * evolve faster than the API.
 */
import * as z from 'zod';
import { DeviceIdSchema, EpochMsSchema } from '../ids.ts';
import { CollectorErrorSchema, JsonObjectSchema, SectionNameSchema } from '../inventory.ts';

const Count = z.number().int().nonnegative();

export const InventoryViewSchema = z
  .object({
    deviceId: DeviceIdSchema,
    epoch: z.string().describe("The agent's report epoch (a reinstalled agent starts a new one)"),
    seq: Count.describe('Sequence of the last report the state reflects'),
    collectedAt: EpochMsSchema.describe('When the device collected that report (device clock)'),
    receivedAt: EpochMsSchema.describe('When the cloud received it'),
    updatedAt: EpochMsSchema,
    sections: z.partialRecord(SectionNameSchema, JsonObjectSchema),
  })
  .meta({ id: 'Inventory' });

const KeyList = z.array(z.string()).describe("Key paths joined with '/'");
const Counts = z.object({ added: Count, removed: Count, changed: Count });

export const InventoryChangeSchema = z
  .object({
    epoch: z.string(),
    seq: Count,
    kind: z.enum(['full', 'diff']),
    baseSeq: Count.optional().describe('The sequence a diff applied on'),
    receivedAt: EpochMsSchema,
    collectedAt: EpochMsSchema,
    agentVersion: z.string(),
    sections: z.record(
      z.string(),
      z.object({
        added: KeyList,
        removed: KeyList,
        changed: KeyList,
        more: Counts.optional().describe('Keys left out of the lists above'),
        counts: Counts,
      }),
    ),
    collectorErrors: z.array(CollectorErrorSchema).optional(),
    archiveKey: z.string().describe('S3 key of the raw report in the archive bucket'),
  })
  .meta({ id: 'InventoryChange' });

export const InventoryChangesPageSchema = z.object({
  deviceId: DeviceIdSchema,
  changes: z.array(InventoryChangeSchema).describe('Newest first'),
  nextCursor: z
    .string()
    .optional()
    .describe('Pass back as `cursor` for older changes; absent on the last page'),
});
