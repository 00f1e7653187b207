/**
 * HTTPS_PROXY / https_proxy and NO_PROXY, read the way curl and most tools read them
 * (proxy-from-env), for when neither the policy nor agent.json lists proxies.
 */
import { getProxyForUrl } from 'proxy-from-env';
import type { PathFailure } from '#protocol/heartbeat.ts';
import { displayProxyUrl } from './http-connect-proxy.ts';
import type { Endpoint, ProxySettings } from './transport.ts';

export type EnvProxy =
  | { readonly proxy: Omit<ProxySettings, 'connectTimeoutMs'> }
  | { readonly skipped: PathFailure };

/** The proxy the environment names for `endpoint`; undefined when none, or NO_PROXY covers it. */
export function envProxyFor(endpoint: Endpoint, env: NodeJS.ProcessEnv): EnvProxy | undefined {
  const value = withEnv(env, () => getProxyForUrl(`https://${endpoint.host}:${endpoint.port}/`));
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { skipped: { path: 'HTTPS_PROXY', reason: `HTTPS_PROXY is not a URL (${redact(value)})` } };
  }
  if (url.protocol !== 'http:') {
    return {
      skipped: {
        path: `proxy ${url.protocol}//${url.host}`,
        reason: `HTTPS_PROXY ${url.protocol}//${url.host} is not used: only http:// CONNECT proxies are supported`,
      },
    };
  }
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    proxy: {
      url: displayProxyUrl(url.href),
      ...(user === '' ? {} : { credentials: { user, password } }),
    },
  };
}

/** proxy-from-env reads process.env only; a caller's environment is lent to it for one call. */
function withEnv<T>(env: NodeJS.ProcessEnv, read: () => T): T {
  if (env === process.env) return read();
  const saved = process.env;
  process.env = env;
  try {
    return read();
  } finally {
    process.env = saved;
  }
}

function redact(value: string): string {
  return value.replace(/\/\/[^@/]*@/, '//***@');
}
