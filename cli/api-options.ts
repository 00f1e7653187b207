/** Where the operator API is, for every command that reads it: flags, environment, or the local cloud. */
import type { Command } from 'commander';
import { type ApiTarget, GIVEN_URL_HINT, LOCAL_CLOUD_HINT } from './api-client.ts';
import { findLocalCloudDir, readLocalEndpoints } from './local-cloud.ts';

export interface ApiOptions {
  readonly apiUrl?: string;
  readonly token?: string;
  readonly localCloud?: string;
  readonly json?: boolean;
}

export async function apiTarget(opts: ApiOptions): Promise<ApiTarget> {
  const apiUrl = opts.apiUrl ?? process.env.FLEETPULSE_API_URL;
  const token = opts.token ?? process.env.FLEETPULSE_API_TOKEN;
  if (apiUrl && token) return { apiUrl, token, unreachableHint: GIVEN_URL_HINT };
  const dir = await findLocalCloudDir(opts.localCloud);
  if (dir === undefined) {
    throw new Error(
      'no operator API given and no local cloud found (.local-cloud/endpoints.json): start one with `npm start`, or pass --api-url and --token (FLEETPULSE_API_URL, FLEETPULSE_API_TOKEN)',
    );
  }
  const endpoints = await readLocalEndpoints(dir);
  return {
    apiUrl: apiUrl ?? endpoints.apiUrl,
    token: token ?? endpoints.apiToken,
    unreachableHint: apiUrl ? GIVEN_URL_HINT : LOCAL_CLOUD_HINT,
  };
}

export function apiOptions(command: Command): Command {
  return command
    .option('--api-url <url>', 'operator API base URL (default: the local cloud, or FLEETPULSE_API_URL)')
    .option('--token <token>', 'API bearer token (default: the local cloud, or FLEETPULSE_API_TOKEN)')
    .option('--local-cloud <dir>', 'local cloud folder holding endpoints.json (default: ./.local-cloud)')
    .option('--json', 'print JSON instead of a table');
}
