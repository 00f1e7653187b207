/**
 * Which devices a command targets. Every criterion given must hold (they combine with AND); an empty
 * selector is refused, and the whole fleet must be asked for with `all: true`, never by omission.
 */
import * as z from 'zod';
import { DeviceIdSchema } from '../ids.ts';
import { LabelValueSchema } from './labels.ts';

const IPV4_CIDR =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(\d|[12]\d|3[0-2])$/;

/** An IPv4 subnet in CIDR form, prefix /8 to /32 (a wider one is not a broadcast domain). */
export const Ipv4CidrSchema = z
  .string()
  .regex(IPV4_CIDR, 'subnet must be an IPv4 CIDR such as 10.1.2.0/24')
  .refine((cidr) => Number(cidr.split('/')[1]) >= 8, 'subnet prefix must be /8 or longer');

export const SelectorSchema = z
  .object({
    /** These devices (at most 1,000 ids; use labels for more). */
    deviceIds: z.array(DeviceIdSchema).min(1).max(1000).optional(),
    group: LabelValueSchema.optional(),
    site: LabelValueSchema.optional(),
    /** Devices with an IPv4 address in this subnet, by their inventory network data. */
    subnet: Ipv4CidrSchema.optional(),
    /** Devices carrying this tag. */
    tag: LabelValueSchema.optional(),
    /** Status when the fan-out reaches the device. */
    status: z.enum(['online', 'offline']).optional(),
    /** The whole fleet (required to target it: an empty selector is an error, not "everyone"). */
    all: z.literal(true).optional(),
  })
  .strict()
  .refine(
    (s) => Object.values(s).some((v) => v !== undefined),
    'the selector is empty: give deviceIds, group, site, subnet, tag, status, or all: true',
  );
export type Selector = z.infer<typeof SelectorSchema>;
