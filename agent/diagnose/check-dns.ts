/** DNS: does this machine resolve the host it must connect to (the endpoint, or the proxy)? */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { bounded, CheckTimeout } from './budget.ts';
import { errorCode, fail, type Outcome, ok, warn } from './outcome.ts';

export type DnsRole =
  /** The endpoint, on the direct path: without it nothing connects. */
  | 'endpoint'
  /** The endpoint seen from a proxy path: the proxy resolves it, not this machine. */
  | 'endpoint-via-proxy'
  | 'proxy';

export async function checkDns(host: string, role: DnsRole, timeoutMs: number): Promise<Outcome> {
  const what = role === 'proxy' ? 'proxy' : 'endpoint';
  if (isIP(host) !== 0) return ok(`${what} ${host} is an IP address (no lookup)`);
  try {
    const addresses = await bounded(lookup(host, { all: true }), timeoutMs);
    return ok(`${what} ${host} -> ${addresses.map((a) => a.address).join(', ')}`);
  } catch (err) {
    const why =
      err instanceof CheckTimeout
        ? `no DNS answer for ${host} within ${timeoutMs} ms`
        : `cannot resolve ${host} (${errorCode(err) || 'DNS error'})`;
    switch (role) {
      case 'endpoint-via-proxy':
        return warn(`${why}; the proxy resolves it itself`, null);
      case 'proxy':
        return fail(why, `correct the proxy's host name, or fix this machine's DNS for ${host}`);
      case 'endpoint':
        return fail(
          why,
          `check agent.json endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and this machine's DNS`,
        );
    }
  }
}
