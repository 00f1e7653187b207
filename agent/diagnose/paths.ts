/**
 * The paths diagnose checks: exactly the agent's own list (agent/transport/paths.ts buildPaths) -
 * the running policy's proxies, else agent.json's, else a PAC file's answer for the endpoint, else
 * HTTPS_PROXY / NO_PROXY - then direct. What could not become a path (a PAC that fails, a SOCKS
 * entry, an https:// HTTPS_PROXY) is a row of its own.
 */
import type { AgentConfig } from '../config.ts';
import { silentLogger } from '../logger.ts';
import { PolicyStore } from '../policy/store.ts';
import { type BuildPathsOptions, buildPaths } from '../transport/paths.ts';
import type { ProxySettings } from '../transport/transport.ts';
import type { DiagnoseRow, PathSource } from './report.ts';

export interface DiagnosePath {
  /** `direct` or `proxy http://host:port`. */
  readonly name: string;
  readonly source: PathSource;
  /** Absent: straight to the endpoint. The timeout is set per check by the runner. */
  readonly proxy?: Omit<ProxySettings, 'connectTimeoutMs'>;
}

export interface PathPlan {
  readonly paths: readonly DiagnosePath[];
  /** What the plan could not turn into a path (a failing PAC, an unusable HTTPS_PROXY). */
  readonly rows: readonly DiagnoseRow[];
}

/** The policy the agent last applied (kept in its dataDir), if there is one. */
export async function storedPolicy(config: AgentConfig) {
  return (await PolicyStore.load(config.dataDir, silentLogger)).current();
}

export async function diagnosePaths(
  config: AgentConfig,
  policy?: Parameters<typeof buildPaths>[1],
  options: Pick<BuildPathsOptions, 'env' | 'pac'> = {},
): Promise<PathPlan> {
  const plan = await buildPaths(config, policy, { ...options, connectTimeoutMs: 0 });
  return {
    paths: plan.paths.map((path) => {
      if (path.proxy === undefined) return { name: path.name, source: 'direct' };
      const { connectTimeoutMs: _set, ...proxy } = path.proxy;
      return { name: path.name, source: path.source ?? 'config', proxy };
    }),
    rows: plan.skipped.map((skipped) => ({
      path: skipped.path,
      check: skipped.path.startsWith('pac ') ? 'pac' : 'proxy-connect',
      result: 'fail',
      detail: skipped.reason,
      remedy: skipped.path.startsWith('pac ')
        ? 'make the PAC file reachable and valid, or list the proxies in agent.json `proxies`'
        : 'set HTTPS_PROXY to http://[user:password@]host:port (HTTP CONNECT proxies only)',
      durationMs: 0,
    })),
  };
}
