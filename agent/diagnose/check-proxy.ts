/** Proxy CONNECT: does the proxy open a tunnel to the endpoint? Each ProxyError kind has its remedy. */
import type { Socket } from 'node:net';
import { ProxyError, type ProxyFailureKind } from '../transport/errors.ts';
import type { Endpoint, ProxySettings } from '../transport/transport.ts';
import { connectAuthority, openTunnel } from '../transport/tunnel.ts';
import { errorMessage, fail, type Outcome, ok } from './outcome.ts';

export function proxyRemedy(kind: ProxyFailureKind, proxyUrl: string, endpoint: Endpoint): string {
  const target = connectAuthority(endpoint);
  switch (kind) {
    case 'refused':
      return `start the proxy at ${proxyUrl}, or correct its URL`;
    case 'timeout':
      return `open TCP to ${proxyUrl} from this machine, or correct its URL`;
    case 'hang':
      return `the proxy takes connections but does not answer CONNECT: check its health, and allow ${target} in it`;
    case 'auth':
      return `check user/passwordB64 of ${proxyUrl} in agent.json or the policy`;
    case 'forbidden':
      return `allow ${target} in the proxy`;
    case 'status':
      return `the proxy could not reach ${target}: allow it in the proxy and open it from the proxy's network`;
    case 'not-a-proxy':
      return `${proxyUrl} is not an HTTP CONNECT proxy: correct the proxy URL`;
    case 'dns':
      return `correct the proxy's host name, or fix this machine's DNS`;
  }
}

export type ProxyCheck = { readonly outcome: Outcome; readonly socket?: Socket };

export async function checkProxyConnect(
  proxy: Omit<ProxySettings, 'connectTimeoutMs'>,
  endpoint: Endpoint,
  timeoutMs: number,
): Promise<ProxyCheck> {
  const started = Date.now();
  try {
    const socket = await openTunnel({ ...proxy, connectTimeoutMs: timeoutMs }, endpoint);
    const auth = proxy.credentials === undefined ? '' : ` as ${proxy.credentials.user}`;
    return {
      outcome: ok(`CONNECT ${connectAuthority(endpoint)}${auth}: 200 in ${Date.now() - started} ms`),
      socket,
    };
  } catch (err) {
    if (err instanceof ProxyError) {
      return { outcome: fail(err.message, proxyRemedy(err.kind, proxy.url, endpoint)) };
    }
    return { outcome: fail(`CONNECT through ${proxy.url} failed: ${errorMessage(err)}`, 'check the proxy') };
  }
}
