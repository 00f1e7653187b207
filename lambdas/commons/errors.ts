/**
 * Named errors. Device-input errors (InvalidInputError and subclasses) are never retried: the
 * ingest wrapper sends the event to the dead-letter queue with the reason. Anything else is treated
 * as transient and rethrown, so the platform retries it. Operator-facing errors map to HTTP in http.ts.
 */
import { DecodeError } from '#protocol/encoding.ts';

export { DecodeError };

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** The payload decoded but does not match the message schema. */
export class SchemaError extends InvalidInputError {
  override name = 'SchemaError';
}

/** Well-formed but not allowed by the protocol (wrong device, impossible sequence, ...). */
export class ProtocolError extends InvalidInputError {
  override name = 'ProtocolError';
}

/** A DynamoDB condition did not hold: another writer got there first (or the item already exists). */
export const isConditionalCheckFailed = (err: unknown): boolean =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** The request contradicts the current state (a command already completed, a reused token). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/**
 * Whether a retry cannot help because the failure is a property of the input: such an event is
 * dead-lettered at once with the reason instead of being retried into the DLQ without one.
 */
export function isPermanentError(err: unknown): err is Error {
  if (err instanceof InvalidInputError || err instanceof DecodeError) return true;
  // Deterministic for a given input (too deep, too long): the same input overflows again.
  if (err instanceof RangeError) return true;
  // AWS refused the request itself (an item or key too large): the same request is refused again.
  return err instanceof Error && err.name === 'ValidationException';
}

/** A request body larger than the API accepts (API Gateway's own answer is the same 413). */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
