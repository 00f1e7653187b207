/**
 * The QuickJS engine's WebAssembly bytes, read from the installed quickjs-wasi package. The one
 * place that knows where they come from: the single-file agent bundle replaces this module with an
 * embedded copy.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function loadQuickJsWasm(): Promise<Uint8Array> {
  return readFile(fileURLToPath(import.meta.resolve('quickjs-wasi/quickjs.wasm')));
}
