/**
 * Starts a worker thread on a TypeScript module. Workers do not inherit a TypeScript loader from
 * the thread that starts them (neither under tsx nor under vitest), so each one brings tsx's own
 * before it imports the module.
 */
import { Worker } from 'node:worker_threads';

export function spawnTsWorker(entry: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const href = JSON.stringify(entry.href);
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${href}, ${href}))`;
  return new Worker(bootstrap, { eval: true, workerData });
}
