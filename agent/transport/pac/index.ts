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

export class PacProxyFinder {
  private readonly files: PacFileCache;

  constructor(private readonly options: PacOptions = {}) {
    this.files = new PacFileCache({
      timeoutMs: options.fetchTimeoutMs ?? 10_000,
      maxBytes: options.maxBytes ?? 1024 * 1024,
      refreshMs: options.refreshMs ?? 30 * 60_000,
    });
  }

  /**
   * The proxies the PAC at `pacUrl` names for the endpoint; throws PacError when it cannot say.
   * Each look-up runs in a fresh engine, disposed after: a look-up happens at a connect or a
   * re-probe (minutes apart) and costs tens of milliseconds, while a live engine would hold
   * megabytes for good.
   */
  async find(pacUrl: string, endpoint: Endpoint): Promise<PacAnswer> {
    const { text } = await this.files.get(pacUrl);
    const [{ QuickJS }, { createPacResolver }, wasm] = await Promise.all([
      import('quickjs-wasi'),
      import('pac-resolver'),
      loadQuickJsWasm(),
    ]);
    const evalTimeoutMs = this.options.evalTimeoutMs ?? 2_000;
    let deadline = 0;
    const vm = await QuickJS.create({
      wasm,
      memoryLimit: this.options.memoryLimitBytes ?? 16 * 1024 * 1024,
      interruptHandler: () => deadline !== 0 && Date.now() > deadline,
    });
    try {
      let find: (url: string, host: string) => Promise<string>;
      try {
        find = createPacResolver(vm, text);
      } catch (err) {
        throw new PacError(`PAC file ${pacUrl} is not valid JavaScript: ${(err as Error).message}`);
      }
      let answer: unknown;
      deadline = Date.now() + evalTimeoutMs;
      try {
        answer = await find(`https://${endpoint.host}:${endpoint.port}/`, endpoint.host);
      } catch (err) {
        const interrupted = /interrupted/i.test((err as Error).message);
        throw new PacError(
          `PAC file ${pacUrl}: FindProxyForURL failed: ${
            interrupted ? `did not return within ${evalTimeoutMs} ms` : (err as Error).message
          }`,
        );
      }
      if (typeof answer !== 'string')
        throw new PacError(`PAC file ${pacUrl}: FindProxyForURL returned ${typeof answer}, not a string`);
      return parsePacAnswer(answer);
    } catch (err) {
      // Fetched again at the next look-up: the file may have been fixed.
      this.files.invalidate(pacUrl);
      throw err;
    } finally {
      vm.dispose();
    }
  }

  /** The paths the PAC gave all failed: fetch it again at the next look-up. */
  invalidate(pacUrl: string): void {
    this.files.invalidate(pacUrl);
  }
}
