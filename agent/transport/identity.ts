/** Reads the device's X.509 identity from the files agent.json names. */
import { readFile } from 'node:fs/promises';
import type { TlsIdentity } from './transport.ts';

export async function readTlsIdentity(paths: {
  certPath: string;
  keyPath: string;
  caPath?: string;
}): Promise<TlsIdentity> {
  const [cert, key, ca] = await Promise.all([
    readFile(paths.certPath, 'utf8'),
    readFile(paths.keyPath, 'utf8'),
    paths.caPath === undefined ? undefined : readFile(paths.caPath, 'utf8'),
  ]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}
