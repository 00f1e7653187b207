/** IoT lifecycle (presence) events: the broker, not the device, publishes them. */
import * as z from 'zod';
import { EpochMsSchema } from './ids.ts';

/** The JSON AWS IoT publishes on $aws/events/presence/{connected|disconnected}/{clientId}. */
export const LifecycleEventSchema = z.object({
  clientId: z.string().min(1),
  timestamp: EpochMsSchema,
  eventType: z.enum(['connected', 'disconnected']),
  sessionIdentifier: z.string().optional(),
  principalIdentifier: z.string().optional(),
  ipAddress: z.string().optional(),
  /** Monotonic per client id: orders connect/disconnect events that arrive out of order. */
  versionNumber: z.number().int().nonnegative(),
  disconnectReason: z.string().optional(),
  clientInitiatedDisconnect: z.boolean().optional(),
});
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;
