/**
 * Fetches a PAC file (http, https or file), bounded in time and size, and keeps the last good copy:
 * it is fetched again after `refreshMs`, or sooner when the caller says the paths it gave failed.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export class PacError extends Error {
  override readonly name = 'PacError';
}

export interface PacFileOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly refreshMs: number;
  readonly now?: () => number;
}

interface Cached {
  readonly text: string;
  readonly fetchedAt: number;
}

export class PacFileCache {
  private readonly cache = new Map<string, Cached>();
  private readonly stale = new Set<string>();

  constructor(private readonly options: PacFileOptions) {}

  /** The PAC text: the cached copy while fresh, else fetched; a failed fetch falls back to the last good copy. */
  async get(url: string): Promise<{ text: string; fetched: boolean }> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(url);
    if (cached !== undefined && !this.stale.has(url) && now - cached.fetchedAt < this.options.refreshMs) {
      return { text: cached.text, fetched: false };
    }
    try {
      const text = await fetchPac(url, this.options);
      this.cache.set(url, { text, fetchedAt: now });
      this.stale.delete(url);
      return { text, fetched: true };
    } catch (err) {
      if (cached !== undefined) return { text: cached.text, fetched: false };
      throw err;
    }
  }

  /** The paths this PAC gave all failed: fetch it again next time. */
  invalidate(url: string): void {
    this.stale.add(url);
  }
}

async function fetchPac(url: string, options: PacFileOptions): Promise<string> {
  const bytes = url.startsWith('file:') ? await readPacFile(url, options) : await downloadPac(url, options);
  return new TextDecoder('utf-8').decode(bytes);
}

async function readPacFile(url: string, { maxBytes }: PacFileOptions): Promise<Uint8Array> {
  try {
    const path = fileURLToPath(url);
    const { size } = await stat(path);
    if (size > maxBytes)
      throw new PacError(`PAC file ${url} is ${size} bytes, over the ${maxBytes}-byte limit`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof PacError) throw err;
    throw new PacError(`cannot read PAC file ${url}: ${(err as Error).message}`);
  }
}

async function downloadPac(url: string, { timeoutMs, maxBytes }: PacFileOptions): Promise<Uint8Array> {
  let response: Response;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // A PAC is fetched directly: going through a proxy to learn the proxy would be circular.
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new PacError(`cannot fetch PAC file ${url}: ${why}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new PacError(`cannot fetch PAC file ${url}: HTTP ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.length;
      if (total > maxBytes) {
        await response.body?.cancel();
        throw new PacError(`PAC file ${url} is over the ${maxBytes}-byte limit`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof PacError) throw err;
    throw new PacError(`cannot fetch PAC file ${url}: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}
