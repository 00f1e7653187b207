/**
 * `GET /devices` and `GET /devices/{id}` as they answer: the stored device record (facts from
 * heartbeats and lifecycle events, operator labels) plus the derived presence. The handler builds
 * these from lambdas/devices/device-records.ts; the OpenAPI document and its conformance test read
 * this schema, so a field the record gains must be added here.
 */
import * as z from 'zod';
import {
  AnalyzerStatusSchema,
  ConnectivitySchema,
  HeartbeatSchema,
  OutboxStatusSchema,
  UserSessionSchema,
} from '../heartbeat.ts';
import { DeviceIdSchema, EpochMsSchema } from '../ids.ts';
import { DeviceLabelsSchema } from './labels.ts';

export const DeviceViewSchema = z
  .object({
    deviceId: DeviceIdSchema,
    status: z.enum(['online', 'offline']).describe('Derived: online while connected or heartbeating'),
    lastSeenAt: EpochMsSchema.optional().describe('Latest heartbeat or connect, epoch ms'),
    firstSeenAt: EpochMsSchema.optional(),
    lastHeartbeatAt: EpochMsSchema.optional(),
    lastConnectedAt: EpochMsSchema.optional(),
    lastDisconnectedAt: EpochMsSchema.optional(),
    disconnectReason: z.string().optional(),
    agentVersion: HeartbeatSchema.shape.agentVersion.optional(),
    platform: HeartbeatSchema.shape.platform,
    hostname: HeartbeatSchema.shape.hostname,
    uptimeSec: HeartbeatSchema.shape.uptimeSec.optional(),
    policyVersion: HeartbeatSchema.shape.policyVersion.optional(),
    reportSeq: HeartbeatSchema.shape.reportSeq.optional(),
    reportEpoch: HeartbeatSchema.shape.reportEpoch,
    sessions: z.array(UserSessionSchema).optional(),
    analyzer: AnalyzerStatusSchema.optional(),
    connectivity: ConnectivitySchema.optional(),
    outbox: OutboxStatusSchema.optional().describe(
      'The agent store-and-forward queue, from its latest heartbeat',
    ),
    sourceIp: z.string().optional().describe('Address the device last connected from'),
    heartbeatSentAt: EpochMsSchema.optional().describe('Device clock of the latest heartbeat'),
    labels: DeviceLabelsSchema.optional(),
  })
  .meta({ id: 'Device' });
export type DeviceViewBody = z.infer<typeof DeviceViewSchema>;

export const DevicePageSchema = z.object({
  items: z.array(DeviceViewSchema),
  nextCursor: z.string().nullable().describe('Pass back as `cursor` for the next page; null on the last'),
});
