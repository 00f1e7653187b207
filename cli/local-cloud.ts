/**
 * Finds the running local cloud: `.local-cloud/endpoints.json`, written by `npm start` in the
 * repository root. Looked up in the working directory first, then in the repository this CLI
 * belongs to.
 */
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { formatZodIssues } from '#protocol/zod-issues.ts';

export const LocalEndpointsSchema = z.looseObject({
  mqttUrl: z.string().regex(/^mqtts:\/\//, 'mqttUrl must be mqtts://host:port'),
  /** The 443-style listener (MQTT with ALPN, HTTPS otherwise); absent in files written before it existed. */
  mqttAlpnUrl: z
    .string()
    .regex(/^mqtts:\/\//, 'mqttAlpnUrl must be mqtts://host:port')
    .optional(),
  apiUrl: z.string().url(),
  apiToken: z.string().min(1),
  caCertPath: z.string().min(1).optional(),
  sqsEndpoint: z.string().url().optional(),
  /** The archive buckets' S3 API (`analyzer query` reads the query tables there). */
  s3Endpoint: z.string().url().optional(),
  /** Lambda's Invoke API; absent in files written before it existed (restart the local cloud). */
  lambdaEndpoint: z.string().url().optional(),
  region: z.string().min(1).optional(),
});
export type LocalEndpoints = z.infer<typeof LocalEndpointsSchema>;

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Where `npm start` keeps its data: FLEETPULSE_DATA_DIR when set (as the cloud reads it), else .local-cloud/. */
export function localCloudDirCandidates(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.FLEETPULSE_DATA_DIR;
  if (configured) return [resolve(cwd, configured)];
  return [...new Set([join(cwd, '.local-cloud'), join(REPO_ROOT, '.local-cloud')])];
}

/** The local cloud's folder when its endpoints.json exists, else undefined. */
export async function findLocalCloudDir(explicit?: string): Promise<string | undefined> {
  const candidates = explicit === undefined ? localCloudDirCandidates() : [resolve(explicit)];
  for (const dir of candidates) {
    if (
      await access(join(dir, 'endpoints.json')).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  return undefined;
}

export async function readLocalEndpoints(dir: string): Promise<LocalEndpoints> {
  const file = join(dir, 'endpoints.json');
  const parsed = LocalEndpointsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file} is not a local-cloud endpoints file: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** host and port of an mqtts:// URL. */
export function mqttEndpointOf(mqttUrl: string): { host: string; port: number } {
  const url = new URL(mqttUrl);
  return { host: url.hostname, port: url.port === '' ? 8883 : Number(url.port) };
}
