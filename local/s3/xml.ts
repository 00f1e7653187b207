/** The XML S3 answers with, and the few request bodies it reads (DeleteObjects). */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    if (entity[0] === '#')
      return String.fromCodePoint(
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1)),
      );
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity.toLowerCase()] ?? '';
  });
}

/** `<name>value</name>`, the value escaped; undefined values are left out. */
export function element(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function requestHeaders(): Record<string, string> {
  return {
    'x-amz-request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
    'x-amz-id-2': randomUUID(),
  };
}

export function sendXml(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    ...requestHeaders(),
    ...headers,
  });
  res.end(text);
}

export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export function sendError(res: ServerResponse, err: S3Error, head: boolean): void {
  if (head) {
    // HEAD answers carry no body; the SDK names the error from the status.
    res.writeHead(err.status, requestHeaders());
    res.end();
    return;
  }
  const fields = Object.entries(err.fields)
    .map(([name, value]) => element(name, value))
    .join('');
  sendXml(
    res,
    err.status,
    `<Error>${element('Code', err.code)}${element('Message', err.message)}${fields}</Error>`,
  );
}

/** The keys and the Quiet flag of a DeleteObjects body. */
export function parseDeleteRequest(xml: string): { keys: string[]; quiet: boolean } {
  const keys: string[] = [];
  for (const match of xml.matchAll(/<Object>[\s\S]*?<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Object>/g))
    keys.push(unescapeXml(match[1] ?? ''));
  return { keys, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(xml) };
}
