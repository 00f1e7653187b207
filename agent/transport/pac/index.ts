/**
 * Proxy auto-configuration: fetch the PAC file, run its FindProxyForURL for the endpoint in a
 * sandboxed JavaScript engine (pac-resolver on QuickJS compiled to WebAssembly, never Node's own
 * `vm`), and turn the answer into proxies. Loaded only when a PAC URL is configured.
 */
import type { Endpoint } from '../transport.ts';
import { type PacAnswer, parsePacAnswer } from './pac-answer.ts';
import { PacError, PacFileCache } from './pac-file.ts';
import { loadQuickJsWasm } from './quickjs-wasm.ts';

export { type PacAnswer, parsePacAnswer } from './pac-answer.ts';
export { PacError } from './pac-file.ts';

export interface PacOptions {
  /** Bound on fetching the PAC file. @default 10_000 */
  readonly fetchTimeoutMs?: number;
  /** @default 1 MiB */
  readonly maxBytes?: number;
  /** A fetched PAC is fetched again after this long. @default 30 min */
  readonly refreshMs?: number;
  /** Bound on one FindProxyForURL run (a PAC that loops is interrupted). @default 2_000 */
  readonly evalTimeoutMs?: number;
  /** Bound on the PAC engine's memory. @default 16 MiB */
  readonly memoryLimitBytes?: number;
}

type FindProxyForURL = (url: string, host: string) => Promise<string>;

interface Compiled {
  readonly text: string;
  readonly find: FindProxyForURL;
  dispose(): void;
}

export class PacProxyFinder {
  private readonly files: PacFileCache;
  private readonly compiled = new Map<string, Compiled>();
  private deadline = 0;

  constructor(private readonly options: PacOptions = {}) {
    this.files = new PacFileCache({
      timeoutMs: options.fetchTimeoutMs ?? 10_000,
      maxBytes: options.maxBytes ?? 1024 * 1024,
      refreshMs: options.refreshMs ?? 30 * 60_000,
    });
  }

  /** The proxies the PAC at `pacUrl` names for the endpoint; throws PacError when it cannot say. */
  async find(pacUrl: string, endpoint: Endpoint): Promise<PacAnswer> {
    const { text } = await this.files.get(pacUrl);
    const compiled = await this.compile(pacUrl, text);
    const evalTimeoutMs = this.options.evalTimeoutMs ?? 2_000;
    this.deadline = Date.now() + evalTimeoutMs;
    let answer: string;
    try {
      answer = await compiled.find(`https://${endpoint.host}:${endpoint.port}/`, endpoint.host);
    } catch (err) {
      this.files.invalidate(pacUrl);
      const interrupted = /interrupted/i.test((err as Error).message);
      throw new PacError(
        `PAC file ${pacUrl}: FindProxyForURL failed: ${
          interrupted ? `did not return within ${evalTimeoutMs} ms` : (err as Error).message
        }`,
      );
    } finally {
      this.deadline = 0;
    }
    if (typeof answer !== 'string')
      throw new PacError(`PAC file ${pacUrl}: FindProxyForURL returned ${typeof answer}, not a string`);
    return parsePacAnswer(answer);
  }

  /** The paths the PAC gave all failed: fetch it again at the next look-up. */
  invalidate(pacUrl: string): void {
    this.files.invalidate(pacUrl);
  }

  dispose(): void {
    for (const c of this.compiled.values()) c.dispose();
    this.compiled.clear();
  }

  private async compile(pacUrl: string, text: string): Promise<Compiled> {
    const existing = this.compiled.get(pacUrl);
    if (existing?.text === text) return existing;
    existing?.dispose();
    this.compiled.delete(pacUrl);
    const [{ QuickJS }, { createPacResolver }, wasm] = await Promise.all([
      import('quickjs-wasi'),
      import('pac-resolver'),
      loadQuickJsWasm(),
    ]);
    const vm = await QuickJS.create({
      wasm,
      memoryLimit: this.options.memoryLimitBytes ?? 16 * 1024 * 1024,
      interruptHandler: () => this.deadline !== 0 && Date.now() > this.deadline,
    });
    let find: FindProxyForURL;
    try {
      find = createPacResolver(vm, text);
    } catch (err) {
      vm.dispose();
      this.files.invalidate(pacUrl);
      throw new PacError(`PAC file ${pacUrl} is not valid JavaScript: ${(err as Error).message}`);
    }
    const compiled: Compiled = { text, find, dispose: () => vm.dispose() };
    this.compiled.set(pacUrl, compiled);
    return compiled;
  }
}
