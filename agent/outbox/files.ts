/**
 * The outbox on disk: one file per message, `<seq>.<class>.<bytes>.msg` (seq zero-padded so the
 * folder lists in send order). The name carries what the queue needs at startup, so opening a
 * folder of 10,000+ messages is one readdir: no stat, no read, until a message is sent.
 *
 * A file is written to `<name>.tmp`, fsync'd, renamed, and the directory fsync'd: after a crash a
 * message is either whole under its final name or a leftover temp file, never half a message.
 */
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataClass, dataClassOf, isDataClass } from './classes.ts';
import { OutboxError } from './errors.ts';

export interface OutboxMessage {
  readonly seq: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly enqueuedAt: number;
}

interface Header {
  topic: string;
  qos: 0 | 1;
  enqueuedAt: number;
}

const MAGIC = Buffer.from('FPOB1', 'ascii');
export const MESSAGE_SUFFIX = '.msg';
export const TMP_SUFFIX = '.tmp';
export const CORRUPT_SUFFIX = '.corrupt';
const SEQ_DIGITS = 16;

export function encodeOutboxFile(header: Header, payload: Buffer): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([MAGIC, len, head, payload]);
}

export function decodeOutboxFile(seq: number, data: Buffer): OutboxMessage {
  if (data.length < MAGIC.length + 4 || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new OutboxError('not an outbox file (bad magic)');
  }
  const len = data.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + len > data.length) throw new OutboxError('truncated header');
  const header = JSON.parse(data.subarray(start, start + len).toString('utf8')) as Partial<Header>;
  if (typeof header.topic !== 'string' || (header.qos !== 0 && header.qos !== 1)) {
    throw new OutboxError('header lacks topic or qos');
  }
  return {
    seq,
    topic: header.topic,
    qos: header.qos,
    enqueuedAt: typeof header.enqueuedAt === 'number' ? header.enqueuedAt : 0,
    payload: data.subarray(start + len),
  };
}

export const messageFileName = (seq: number, dataClass: DataClass, bytes: number): string =>
  `${String(seq).padStart(SEQ_DIGITS, '0')}.${dataClass}.${bytes}${MESSAGE_SUFFIX}`;

/** A queued message as the folder lists it. */
export interface ListedMessage {
  readonly seq: number;
  readonly name: string;
  readonly dataClass: DataClass;
  readonly bytes: number;
}

/**
 * Lists the queued messages in send order, deleting temp files a crash left behind (the caller of
 * that write was never told its message was queued). Files named by an earlier version
 * (`<seq>.msg`) are stat'ed and their header read once, to learn size and class.
 */
export async function listQueued(dir: string): Promise<ListedMessage[]> {
  const listed: ListedMessage[] = [];
  for (const name of await readdir(dir)) {
    if (name.endsWith(TMP_SUFFIX)) {
      await unlinkQuietly(join(dir, name));
      continue;
    }
    if (!name.endsWith(MESSAGE_SUFFIX)) continue;
    const parts = name.slice(0, -MESSAGE_SUFFIX.length).split('.');
    const seq = Number(parts[0]);
    if (!Number.isSafeInteger(seq)) continue;
    if (parts.length === 3) {
      const [, dataClass = '', bytesText = ''] = parts;
      const bytes = Number(bytesText);
      if (isDataClass(dataClass) && Number.isSafeInteger(bytes)) listed.push({ seq, name, dataClass, bytes });
    } else if (parts.length === 1) {
      listed.push(await listLegacy(dir, name, seq));
    }
  }
  return listed.sort((a, b) => a.seq - b.seq);
}

async function listLegacy(dir: string, name: string, seq: number): Promise<ListedMessage> {
  const file = join(dir, name);
  const { size } = await stat(file);
  let dataClass: DataClass = 'other';
  try {
    dataClass = dataClassOf(decodeOutboxFile(seq, await readFile(file)).topic);
  } catch {
    // unreadable: the send path moves it aside with the reason
  }
  return { seq, name, dataClass, bytes: size };
}

export async function writeDurably(dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `${name}${TMP_SUFFIX}`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/** Makes a rename or unlink durable. Directories cannot be opened on Windows: best effort. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

export async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
