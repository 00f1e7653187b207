/**
 * Named errors. Device-input errors (InvalidInputError and subclasses) are never retried: the
 * ingest wrapper sends the event to the dead-letter queue with the reason. Anything else is treated
 * as transient and rethrown, so the platform retries it. Operator-facing errors map to HTTP in http.ts.
 */
export { DecodeError } from '#protocol/encoding.ts';

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

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** A request body larger than the API accepts (API Gateway's own answer is the same 413). */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
