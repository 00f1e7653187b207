/**
 * dynalite in its own thread: every handler's DynamoDB request costs the emulator CPU (request
 * validation, LevelDB, JSON), which must not stall the broker and the API server in the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { countRequests } from './dynamodb-counter.ts';
import { closeServer, listenLocal } from './http.ts';

const port = parentPort;
if (!port) throw new Error('dynamodb-worker.ts runs as a worker thread');
const settings = workerData as { dir: string; port: number };

const server = dynalite({ path: settings.dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
countRequests(server);
port.once('message', () => {
  void closeServer(server).finally(() => port.postMessage({ kind: 'stopped' }));
});
try {
  port.postMessage({ kind: 'listening', port: await listenLocal(server, settings.port) });
} catch (err) {
  port.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
}
