/**
 * Operator policies: `PUT /policies/{id}` stores a new version of a document, `POST
 * /policies/{id}/assign` assigns it, `GET /policies/{id}` shows each version and how many assigned
 * devices run it. A device's effective policy: its own assignment, else its group's, else the default.
 * Versions are one counter across all policies, so a device moved to another policy never goes to a
 * lower number than it runs (the agent ignores an older version than its own).
 */
import * as z from 'zod';
import { DeviceIdSchema, EpochMsSchema } from '../ids.ts';
import { PolicyDocumentSchema } from '../policy.ts';
import { LabelValueSchema } from './labels.ts';

export const POLICY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const PolicyIdSchema = z
  .string()
  .regex(POLICY_ID_PATTERN, 'policy id must match [a-z0-9][a-z0-9-]{0,62}');

/** The body of `PUT /policies/{id}`: the document without its version (the cloud numbers it). */
export const PutPolicySchema = PolicyDocumentSchema.omit({ version: true }).strict();
export type PutPolicy = z.infer<typeof PutPolicySchema>;

/** The body of `POST /policies/{id}/assign`: any of devices, groups, or the fleet default. */
export const AssignPolicySchema = z
  .object({
    deviceIds: z.array(DeviceIdSchema).min(1).max(1000).optional(),
    groups: z.array(LabelValueSchema).min(1).max(100).optional(),
    default: z.literal(true).optional(),
  })
  .strict()
  .refine((a) => a.deviceIds || a.groups || a.default, 'assign to deviceIds, groups or default: true');
export type AssignPolicy = z.infer<typeof AssignPolicySchema>;

export const PolicyVersionViewSchema = z.object({
  version: z.number().int().nonnegative(),
  createdAt: EpochMsSchema,
  document: PolicyDocumentSchema,
  /** Assigned devices whose last heartbeat reports this version. */
  devicesRunning: z.number().int().nonnegative(),
});

export const PolicyViewSchema = z.object({
  policyId: PolicyIdSchema,
  latestVersion: z.number().int().nonnegative(),
  assignedTo: z.object({
    deviceIds: z.array(DeviceIdSchema),
    groups: z.array(LabelValueSchema),
    default: z.boolean(),
  }),
  /** Assigned devices (directly, by group, or by default) in all. */
  devicesAssigned: z.number().int().nonnegative(),
  versions: z.array(PolicyVersionViewSchema),
});
export type PolicyView = z.infer<typeof PolicyViewSchema>;
