/**
 * An SQS message as stored, and the checks and digests SQS applies to what is sent: body characters,
 * message attributes, size, and the MD5s a client compares (MD5OfBody, MD5OfMessageAttributes).
 */
import { createHash } from 'node:crypto';
import { invalidMessageContents, invalidParameter, missingParameter } from './errors.ts';

/** A message attribute as the JSON protocol carries it (BinaryValue in base64). */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttribute>;

export interface StoredMessage {
  readonly id: string;
  /** Position in the store (arrival order); a redriven message gets a new one in its new queue. */
  readonly seq: number;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes?: MessageAttributes;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Nonce of the latest receive: only the latest receipt handle deletes, as in SQS. */
  receipt?: string;
  /** Set when SQS moved the message here from a queue's redrive policy. */
  deadLetterSourceArn?: string;
}

const MAX_ATTRIBUTES = 10;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
// XML 1.0 characters: the set SQS accepts in a body or string attribute.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function checkCharacters(text: string, where: string): void {
  const bad = INVALID_CHARACTER.exec(text);
  if (!bad) return;
  const code = bad[0].codePointAt(0)?.toString(16).toUpperCase();
  throw invalidMessageContents(
    `Invalid binary character '#x${code}' was found in the ${where}, the set of allowed characters is available at http://www.w3.org/TR/REC-xml/#charsets`,
  );
}

export function checkBody(body: unknown): string {
  if (typeof body !== 'string' || body.length === 0) throw missingParameter('MessageBody');
  checkCharacters(body, 'message body');
  return body;
}

export function checkAttributes(input: unknown): MessageAttributes | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object') throw invalidParameter('MessageAttributes must be a map.');
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_ATTRIBUTES)
    throw invalidParameter(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  const out: MessageAttributes = Object.create(null);
  for (const [name, raw] of entries) {
    if (
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws\.|amazon\.)/i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    )
      throw invalidParameter(`Message (user) attribute name '${name}' is invalid.`);
    const value = (raw ?? {}) as Record<string, unknown>;
    const dataType = value.DataType;
    if (typeof dataType !== 'string' || !/^(String|Number|Binary)(\..{1,250})?$/.test(dataType))
      throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type.`);
    if (dataType.startsWith('Binary')) {
      if (typeof value.BinaryValue !== 'string' || value.BinaryValue.length === 0)
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
        );
      out[name] = { DataType: dataType, BinaryValue: value.BinaryValue };
    } else {
      if (typeof value.StringValue !== 'string' || value.StringValue.length === 0)
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
        );
      if (dataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue)))
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      checkCharacters(value.StringValue, `message attribute '${name}'`);
      out[name] = { DataType: dataType, StringValue: value.StringValue };
    }
  }
  return out;
}

const valueBytes = (a: MessageAttribute): Buffer =>
  a.BinaryValue !== undefined
    ? Buffer.from(a.BinaryValue, 'base64')
    : Buffer.from(a.StringValue ?? '', 'utf8');

/** Size as SQS counts it against MaximumMessageSize: body, attribute names, types and values. */
export function messageSize(body: string, attributes: MessageAttributes | undefined): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes ?? {}))
    size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + valueBytes(a).length;
  return size;
}

/** SQS's MD5OfMessageAttributes: names sorted; each length-prefixed field, then a transport byte. */
export function md5OfAttributes(attributes: MessageAttributes | undefined): string | undefined {
  const names = Object.keys(attributes ?? {}).sort();
  if (!attributes || names.length === 0) return undefined;
  const hash = createHash('md5');
  const field = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of names) {
    const a = attributes[name] as MessageAttribute;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(a.DataType, 'utf8'));
    hash.update(Buffer.from([a.BinaryValue !== undefined ? 2 : 1]));
    field(valueBytes(a));
  }
  return hash.digest('hex');
}

/** The attributes a receive asked for: 'All', '.*', exact names or 'prefix.*'. */
export function selectAttributes(
  attributes: MessageAttributes | undefined,
  names: readonly string[],
): MessageAttributes | undefined {
  if (!attributes || names.length === 0) return undefined;
  const wanted = (name: string): boolean =>
    names.some(
      (n) => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
    );
  const out: MessageAttributes = Object.create(null);
  for (const [name, value] of Object.entries(attributes)) if (wanted(name)) out[name] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}
