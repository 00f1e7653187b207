/**
 * The paths diagnose checks, in the order the agent tries them: agent.json's proxies, else
 * HTTPS_PROXY / NO_PROXY, then direct (the agent goes direct when no proxy works).
 *
 * Seam: the agent's own path builder (agent/transport/paths.ts: policy lists, PAC, env) can replace
 * `diagnosePaths` by handing `runDiagnose` its ordered list; until then a PAC URL is reported as a
 * row, because its proxies are chosen by the agent at run time for each URL.
 */
import { getProxyForUrl } from 'proxy-from-env';
import type { AgentConfig } from '../config.ts';
import { pathName } from '../transport/errors.ts';
import { displayProxyUrl, proxySettingsOf } from '../transport/http-connect-proxy.ts';
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
  /** What the plan could not turn into a path (a PAC URL, an unusable HTTPS_PROXY). */
  readonly rows: readonly DiagnoseRow[];
}

const DIRECT: DiagnosePath = { name: pathName(null), source: 'direct' };

function proxyPath(settings: ProxySettings, source: PathSource): DiagnosePath {
  const { connectTimeoutMs: _unused, ...proxy } = settings;
  return { name: pathName(proxy.url), source, proxy };
}

export function diagnosePaths(config: AgentConfig): PathPlan {
  if (config.proxies !== undefined && config.proxies.length > 0) {
    return {
      paths: [...config.proxies.map((p) => proxyPath(proxySettingsOf(p, 0), 'config')), DIRECT],
      rows: [],
    };
  }
  if (config.pacUrl !== undefined) {
    return {
      paths: [DIRECT],
      rows: [
        {
          path: 'pac',
          check: 'pac',
          result: 'skip',
          detail: `pacUrl ${config.pacUrl}: the proxies it names are chosen by the agent at run time; diagnose checks direct only`,
          remedy: 'to check a PAC proxy here, list it in agent.json `proxies` for this run',
          durationMs: 0,
        },
      ],
    };
  }
  const fromEnv = getProxyForUrl(`https://${config.endpoint}:${config.port}`);
  if (fromEnv === '') return { paths: [DIRECT], rows: [] };
  const envPath = envProxy(fromEnv);
  if (typeof envPath === 'string') {
    return {
      paths: [DIRECT],
      rows: [
        {
          path: 'env',
          check: 'proxy-connect',
          result: 'fail',
          detail: envPath,
          remedy: 'set HTTPS_PROXY to http://[user:password@]host:port',
          durationMs: 0,
        },
      ],
    };
  }
  return { paths: [envPath, DIRECT], rows: [] };
}

/** HTTPS_PROXY's URL as a path; its credentials, URL-encoded in it, go to Proxy-Authorization. */
function envProxy(value: string): DiagnosePath | string {
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    return `HTTPS_PROXY=${value} is not a URL`;
  }
  if (url.protocol !== 'http:') {
    return `HTTPS_PROXY uses ${url.protocol}//: the agent speaks HTTP CONNECT to http:// proxies only`;
  }
  const credentials =
    url.username === ''
      ? undefined
      : { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  return proxyPath(
    {
      url: displayProxyUrl(url.href),
      connectTimeoutMs: 0,
      ...(credentials === undefined ? {} : { credentials }),
    },
    'env',
  );
}
