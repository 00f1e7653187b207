/**
 * The paths the agent may take to the endpoint, in order: the proxies of the first source that has
 * any (the policy's list, else agent.json's, else a PAC file, else HTTPS_PROXY / NO_PROXY), then
 * `direct`, always last: when no proxy works, the agent goes direct.
 *
 * Shared by the connection (which tries them in order, path-choice.ts) and `diagnose` (which checks
 * every one).
 */
import type { Connectivity, PathFailure } from '#protocol/heartbeat.ts';
import { envProxyFor } from './env-proxy.ts';
import { pathName } from './errors.ts';
import { type ConfiguredProxy, proxySettingsOf } from './http-connect-proxy.ts';
import type { PacProxyFinder } from './pac/index.ts';
import type { PathSource } from './path-choice.ts';
import type { Endpoint, ProxySettings } from './transport.ts';

/** Where a proxy came from, as the heartbeat reports it. */
export type ProxySource = NonNullable<Connectivity['proxySource']>;

export interface AgentPath {
  /** `direct` or `proxy http://host:port`: how logs, heartbeats and diagnose name it. */
  readonly name: string;
  /** Absent: straight to the endpoint. */
  readonly proxy?: ProxySettings;
  /** Where the proxy came from; absent for `direct`. */
  readonly source?: ProxySource;
}

export interface PathPlan {
  /** In the order to try them; `direct` is the last. */
  readonly paths: readonly AgentPath[];
  /** Where the proxies came from; absent when there are none. */
  readonly source?: ProxySource;
  /** What could not become a path, with why: a PAC that failed, a SOCKS entry, an https:// proxy. */
  readonly skipped: readonly PathFailure[];
}

/** What agent.json and the policy say about proxies. */
export interface ProxyChoices {
  readonly proxies?: readonly ConfiguredProxy[] | undefined;
  readonly pacUrl?: string | undefined;
}

export interface BuildPathsOptions {
  /** Bound on TCP to a proxy + its answer to CONNECT. */
  readonly connectTimeoutMs: number;
  /** Evaluates PAC files (it caches them). @default a finder shared by the process */
  readonly pac?: PacProxyFinder;
  /** The environment HTTPS_PROXY / NO_PROXY are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export const DIRECT_PATH: AgentPath = { name: pathName(null) };

let sharedPacFinder: Promise<PacProxyFinder> | undefined;

/** Loaded on first use only: the PAC evaluator costs memory that agents without a PAC never pay. */
function defaultPacFinder(): Promise<PacProxyFinder> {
  sharedPacFinder ??= import('./pac/index.ts').then(({ PacProxyFinder }) => new PacProxyFinder());
  return sharedPacFinder;
}

/**
 * The ordered paths for `endpoint`, from agent.json (`config`) and the running policy. Never throws:
 * a PAC that cannot be fetched or evaluated is reported in `skipped`, and the plan falls back to
 * `direct`.
 */
export async function buildPaths(
  config: ProxyChoices & { readonly endpoint: string; readonly port: number },
  policy: ProxyChoices | undefined,
  options: BuildPathsOptions,
): Promise<PathPlan> {
  const endpoint: Endpoint = { host: config.endpoint, port: config.port };
  const proxied = (proxies: readonly ConfiguredProxy[], source: ProxySource): PathPlan => ({
    paths: withDirect(proxies.map((p) => proxyPath(proxySettingsOf(p, options.connectTimeoutMs), source))),
    source,
    skipped: [],
  });
  if (policy?.proxies !== undefined && policy.proxies.length > 0) return proxied(policy.proxies, 'policy');
  if (config.proxies !== undefined && config.proxies.length > 0) return proxied(config.proxies, 'config');
  const pacUrl = policy?.pacUrl ?? config.pacUrl;
  if (pacUrl !== undefined) {
    const finder = options.pac ?? (await defaultPacFinder());
    try {
      const answer = await finder.find(pacUrl, endpoint);
      return {
        paths: withDirect(
          answer.proxies.map((url) => proxyPath({ url, connectTimeoutMs: options.connectTimeoutMs }, 'pac')),
        ),
        source: 'pac',
        skipped: answer.skipped,
      };
    } catch (err) {
      return {
        paths: [DIRECT_PATH],
        skipped: [{ path: `pac ${pacUrl}`, reason: (err as Error).message }],
      };
    }
  }
  const env = envProxyFor(endpoint, options.env ?? process.env);
  if (env === undefined) return { paths: [DIRECT_PATH], skipped: [] };
  if ('skipped' in env) return { paths: [DIRECT_PATH], skipped: [env.skipped] };
  return {
    paths: withDirect([proxyPath({ ...env.proxy, connectTimeoutMs: options.connectTimeoutMs }, 'env')]),
    source: 'env',
    skipped: [],
  };
}

function proxyPath(proxy: ProxySettings, source: ProxySource): AgentPath {
  return { name: pathName(proxy.url), proxy, source };
}

/** The proxies in order, each once, then `direct`. */
function withDirect(proxies: readonly AgentPath[]): AgentPath[] {
  const seen = new Set<string>();
  const paths: AgentPath[] = [];
  for (const path of proxies) {
    if (seen.has(path.name)) continue;
    seen.add(path.name);
    paths.push(path);
  }
  paths.push(DIRECT_PATH);
  return paths;
}

/**
 * The agent's path source: agent.json plus whatever policy runs at each connect, so a policy's
 * proxies take effect at the next connect or re-probe. A PAC whose paths all failed is fetched again.
 */
export function agentPathSource(
  config: ProxyChoices & { readonly endpoint: string; readonly port: number },
  policy: () => ProxyChoices | undefined,
  options: BuildPathsOptions,
): PathSource {
  let pacUrl: string | undefined;
  return {
    plan: async () => {
      const running = policy();
      const plan = await buildPaths(config, running, options);
      pacUrl = plan.source === 'pac' ? (running?.pacUrl ?? config.pacUrl) : undefined;
      return plan;
    },
    roundFailed: () => {
      if (pacUrl === undefined) return;
      const url = pacUrl;
      void (options.pac === undefined ? defaultPacFinder() : Promise.resolve(options.pac)).then((finder) =>
        finder.invalidate(url),
      );
    },
  };
}
