/**
 * Opens a TCP tunnel to the endpoint through an HTTP CONNECT proxy (Node's own HTTP client speaks
 * CONNECT). Every way it fails is named: refused, timed out, hangs, 407, 403, another status, not a
 * proxy at all. The whole exchange is bounded by `connectTimeoutMs`.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { ProxyError } from './errors.ts';
import type { Endpoint, ProxySettings } from './transport.ts';

/** The CONNECT target as a proxy expects it: host:port, IPv6 in brackets. */
export function connectAuthority({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function proxyAuthorization(credentials: NonNullable<ProxySettings['credentials']>): string {
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export function openTunnel(proxy: ProxySettings, target: Endpoint): Promise<Socket> {
  const url = new URL(proxy.url);
  const authority = connectAuthority(target);
  const where = `proxy ${proxy.url}`;
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    let tcpConnected = false;
    const fail = (err: ProxyError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = request({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 80 : Number(url.port),
      method: 'CONNECT',
      path: authority,
      setHost: false,
      agent: false,
      headers: {
        Host: authority,
        ...(proxy.credentials === undefined
          ? {}
          : { 'Proxy-Authorization': proxyAuthorization(proxy.credentials) }),
      },
    });
    const timer = setTimeout(() => {
      fail(
        tcpConnected
          ? new ProxyError(
              'hang',
              proxy.url,
              `${where} accepted the connection but did not answer CONNECT ${authority} within ${proxy.connectTimeoutMs} ms (it hangs after CONNECT)`,
            )
          : new ProxyError(
              'timeout',
              proxy.url,
              `${where} did not accept a TCP connection within ${proxy.connectTimeoutMs} ms (firewall drops it, or the host is down)`,
            ),
      );
    }, proxy.connectTimeoutMs);
    req.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        tcpConnected = true;
      });
    });
    req.on('connect', (res, socket: Socket, head: Buffer) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        if (settled) {
          socket.destroy();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
        return;
      }
      socket.destroy();
      fail(statusError(proxy.url, authority, status, res.statusMessage ?? ''));
    });
    // A CONNECT answered like an ordinary request (some servers that are no proxy do that).
    req.on('response', (res) => {
      res.resume();
      fail(statusError(proxy.url, authority, res.statusCode ?? 0, res.statusMessage ?? ''));
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(socketError(proxy.url, authority, err, tcpConnected)),
    );
    req.end();
  });
}

function statusError(proxyUrl: string, authority: string, status: number, text: string): ProxyError {
  const where = `proxy ${proxyUrl}`;
  const answered = `${where} answered CONNECT ${authority} with ${status}${text === '' ? '' : ` ${text}`}`;
  switch (status) {
    // Some proxies (tinyproxy 1.11) answer a CONNECT that lacks good credentials with 401.
    case 401:
    case 407:
      return new ProxyError(
        'auth',
        proxyUrl,
        `${answered}: the proxy requires credentials and those configured are missing or wrong (check user and passwordB64)`,
        status,
      );
    case 403:
      return new ProxyError(
        'forbidden',
        proxyUrl,
        `${answered}: the proxy blocks this destination (allow ${authority} in its rules)`,
        status,
      );
    case 400:
    case 404:
    case 405:
    case 501:
      return new ProxyError(
        'not-a-proxy',
        proxyUrl,
        `${answered}: this is an HTTP server, not an HTTP CONNECT proxy`,
        status,
      );
    default:
      return new ProxyError(
        'status',
        proxyUrl,
        `${answered}${status === 502 || status === 503 || status === 504 ? ': the proxy could not reach the endpoint' : ''}`,
        status,
      );
  }
}

function socketError(
  proxyUrl: string,
  authority: string,
  err: NodeJS.ErrnoException,
  tcpConnected: boolean,
): ProxyError {
  const where = `proxy ${proxyUrl}`;
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED')
    return new ProxyError('refused', proxyUrl, `nothing listens on ${where} (connection refused)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new ProxyError('dns', proxyUrl, `cannot resolve the host of ${where} (DNS ${code})`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new ProxyError('timeout', proxyUrl, `cannot reach ${where} (${code})`);
  if (code.startsWith('HPE_'))
    return new ProxyError(
      'not-a-proxy',
      proxyUrl,
      `${where} answered CONNECT ${authority} with something that is not HTTP: it is not an HTTP proxy (${code})`,
    );
  if (tcpConnected && (code === 'ECONNRESET' || err.message === 'socket hang up'))
    return new ProxyError(
      'not-a-proxy',
      proxyUrl,
      `${where} closed the connection without answering CONNECT ${authority}: it is not an HTTP proxy, or it refuses this client`,
    );
  return new ProxyError('refused', proxyUrl, `${where}: ${err.message}${code === '' ? '' : ` (${code})`}`);
}
