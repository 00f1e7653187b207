/**
 * The event a topic rule hands to its action. Every rule uses the same SELECT, so handlers get one
 * shape whatever the payload: the raw payload base64-encoded (reports are binary; JSON payloads are
 * validated by the handler, not silently dropped by the rule engine), plus the facts only the
 * broker knows — topic, client id, source IP and arrival time.
 */
import * as z from 'zod';

export const RULE_SQL_VERSION = '2016-03-23';

export function ruleSql(topicFilter: string): string {
  return (
    "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, " +
    `sourceip() AS sourceIp, timestamp() AS receivedAt FROM '${topicFilter}'`
  );
}

export const RuleEventSchema = z.object({
  payload: z.string(),
  topic: z.string().min(1),
  clientId: z.string().optional(),
  /** Public source IP of the device's connection (absent on lifecycle events). */
  sourceIp: z.string().optional(),
  receivedAt: z.number().int().nonnegative(),
});
export type RuleEvent = z.infer<typeof RuleEventSchema>;

export function buildRuleEvent(input: {
  payload: Uint8Array;
  topic: string;
  clientId?: string;
  sourceIp?: string;
  receivedAt: number;
}): RuleEvent {
  return {
    payload: Buffer.from(input.payload).toString('base64'),
    topic: input.topic,
    ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
    ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
    receivedAt: input.receivedAt,
  };
}

/** What a dead-letter message carries: enough to understand the failure and to replay the event. */
export const DeadLetterSchema = z.object({
  /** Function name from the wiring (wiring/fleet.ts). */
  source: z.string(),
  reason: z.string(),
  /** Error class: DecodeError, SchemaError, ProtocolError, ... */
  errorType: z.string(),
  deviceId: z.string().optional(),
  topic: z.string().optional(),
  failedAt: z.number().int(),
  /** The original rule event, replayable as is. */
  event: z.unknown(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
