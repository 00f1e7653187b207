/**
 * SQS errors as AWS sends them over the JSON protocol: a `__type` (the error shape the SDK maps to its
 * exception class) and the query-compatible code in `x-amzn-query-error` (the `Code` older callers
 * compare against).
 */
export class SqsError extends Error {
  constructor(
    readonly type: string,
    readonly queryCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type.slice(type.indexOf('#') + 1);
  }

  /** The batch-entry form (`Failed[]` of a batch response). */
  get code(): string {
    return this.queryCode.replace(/^AWS\.SimpleQueueService\./, '');
  }
}

const modeled = (name: string, queryCode: string, message: string): SqsError =>
  new SqsError(`com.amazonaws.sqs#${name}`, queryCode, message);

export const queueDoesNotExist = (): SqsError =>
  modeled(
    'QueueDoesNotExist',
    'AWS.SimpleQueueService.NonExistentQueue',
    'The specified queue does not exist.',
  );

export const invalidParameter = (message: string): SqsError =>
  new SqsError('com.amazon.coral.service#InvalidParameterValueException', 'InvalidParameterValue', message);

export const invalidValue = (parameter: string, value: unknown, reason: string): SqsError =>
  invalidParameter(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`);

export const missingParameter = (name: string): SqsError =>
  new SqsError(
    'com.amazon.coral.service#MissingParameterException',
    'MissingParameter',
    `The request must contain the parameter ${name}.`,
  );

export const invalidAttributeName = (name: string): SqsError =>
  modeled('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);

export const queueNameExists = (name: string): SqsError =>
  modeled(
    'QueueNameExists',
    'QueueAlreadyExists',
    `A queue already exists with the same name and a different value for attribute(s) of ${name}`,
  );

export const receiptHandleIsInvalid = (handle: string): SqsError =>
  modeled(
    'ReceiptHandleIsInvalid',
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export const messageNotInflight = (): SqsError =>
  modeled('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'Message is not in flight.');

export const invalidMessageContents = (message: string): SqsError =>
  modeled('InvalidMessageContents', 'InvalidMessageContents', message);

export const emptyBatchRequest = (): SqsError =>
  modeled(
    'EmptyBatchRequest',
    'AWS.SimpleQueueService.EmptyBatchRequest',
    'There should be at least one entry in the request.',
  );

export const tooManyEntries = (count: number): SqsError =>
  modeled(
    'TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${count}.`,
  );

export const batchIdsNotDistinct = (id: string): SqsError =>
  modeled(
    'BatchEntryIdsNotDistinct',
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    `Id ${id} repeated.`,
  );

export const invalidBatchEntryId = (): SqsError =>
  modeled(
    'InvalidBatchEntryId',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  );

export const batchRequestTooLong = (limit: number, size: number): SqsError =>
  modeled(
    'BatchRequestTooLong',
    'AWS.SimpleQueueService.BatchRequestTooLong',
    `Batch requests cannot be longer than ${limit} bytes. You have sent ${size} bytes.`,
  );

export const unsupportedOperation = (message: string): SqsError =>
  modeled('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message);

export const unknownOperation = (target: string): SqsError =>
  new SqsError(
    'com.amazon.coral.service#UnknownOperationException',
    'UnknownOperation',
    `Operation ${target} is not supported by the local SQS.`,
  );

export const internalFailure = (message: string): SqsError =>
  new SqsError('com.amazon.coral.service#InternalFailure', 'InternalFailure', message, 500);
