/**
 * What FindProxyForURL returned, as paths: `PROXY host:port` entries in order. DIRECT needs no
 * entry (direct is always the agent's last path); HTTPS and SOCKS entries are skipped with why.
 */
import type { PathFailure } from '#protocol/heartbeat.ts';
import { displayProxyUrl } from '../http-connect-proxy.ts';

export interface PacAnswer {
  /** http://host:port of each PROXY entry, in the PAC's order. */
  readonly proxies: readonly string[];
  readonly skipped: readonly PathFailure[];
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

export function parsePacAnswer(answer: string): PacAnswer {
  const proxies: string[] = [];
  const skipped: PathFailure[] = [];
  for (const entry of answer.split(';')) {
    const [keyword = '', target = '', ...rest] = entry.trim().split(/\s+/);
    const kind = keyword.toUpperCase();
    if (kind === '' || kind === 'DIRECT') continue;
    const name = `${kind} ${target}`.trim();
    if (kind !== 'PROXY') {
      skipped.push({
        path: `pac ${name}`,
        reason: kind.startsWith('SOCKS')
          ? `PAC entry "${name}" skipped: SOCKS proxies are not supported`
          : kind === 'HTTPS'
            ? `PAC entry "${name}" skipped: TLS to the proxy (HTTPS) is not supported`
            : `PAC entry "${entry.trim()}" skipped: unknown kind ${kind}`,
      });
      continue;
    }
    if (rest.length > 0 || !HOST_PORT.test(target)) {
      skipped.push({
        path: `pac ${name}`,
        reason: `PAC entry "${entry.trim()}" skipped: not PROXY host:port`,
      });
      continue;
    }
    proxies.push(displayProxyUrl(`http://${target}`));
  }
  return { proxies, skipped };
}
