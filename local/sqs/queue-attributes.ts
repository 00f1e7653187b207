/** Queue attributes: SQS's defaults, the settable ones with their ranges, the redrive policy. */
import { invalidAttributeName, invalidValue, unsupportedOperation } from './errors.ts';

export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1048576],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

const FREE_FORM = new Set([
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);

/** Computed on read, never set. */
const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

/** Every attribute name GetQueueAttributes accepts (unset ones are left out of the answer). */
export const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULT_ATTRIBUTES),
  ...Object.keys(RANGES),
  ...FREE_FORM,
  ...COMPUTED_ATTRIBUTES,
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** Checks attributes a CreateQueue/SetQueueAttributes sends; `dlqExists` resolves a redrive target ARN. */
export function checkSettableAttributes(
  input: unknown,
  dlqExists: (arn: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries((input ?? {}) as Record<string, unknown>)) {
    const value = String(raw);
    if (name === 'FifoQueue' || name === 'ContentBasedDeduplication') {
      if (value === 'true') throw unsupportedOperation('FIFO queues are not supported by the local SQS.');
      continue;
    }
    const range = RANGES[name];
    if (range) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < range[0] || n > range[1])
        throw invalidValue(name, value, `Must be an integer from ${range[0]} to ${range[1]}.`);
    } else if (!FREE_FORM.has(name)) {
      throw invalidAttributeName(name);
    }
    if (name === 'RedrivePolicy' && value !== '') parseRedrivePolicy(value, dlqExists);
    out[name] = value;
  }
  return out;
}

export function parseRedrivePolicy(
  value: string | undefined,
  dlqExists: (arn: string) => boolean = () => true,
): RedrivePolicy | undefined {
  if (!value) return undefined;
  let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    parsed = JSON.parse(value) as typeof parsed;
  } catch {
    throw invalidValue('RedrivePolicy', value, 'Invalid value for the parameter RedrivePolicy.');
  }
  const maxReceiveCount = Number(parsed.maxReceiveCount);
  if (typeof parsed.deadLetterTargetArn !== 'string')
    throw invalidValue(
      'RedrivePolicy',
      value,
      'Redrive policy does not contain mandatory attribute: deadLetterTargetArn.',
    );
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000)
    throw invalidValue('RedrivePolicy', value, 'Invalid value for maxReceiveCount: must be from 1 to 1000.');
  if (!dlqExists(parsed.deadLetterTargetArn))
    throw invalidValue('RedrivePolicy', value, 'Dead letter target does not exist.');
  return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount };
}
