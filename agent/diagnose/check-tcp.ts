/** TCP: does a connection to the endpoint (direct) or to the proxy open at all? */
import { connect } from 'node:net';
import type { Endpoint } from '../transport/transport.ts';
import { errorCode, errorMessage, fail, type Outcome, ok } from './outcome.ts';

export type TcpRole = 'endpoint' | 'proxy';

export function checkTcp(target: Endpoint, role: TcpRole, timeoutMs: number): Promise<Outcome> {
  const where = `${target.host}:${target.port}`;
  const started = Date.now();
  return new Promise<Outcome>((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => done(fail(`TCP to ${where} not answered within ${timeoutMs} ms (a firewall drops it)`, remedy())),
      timeoutMs,
    );
    socket.once('connect', () => done(ok(`connected to ${where} in ${Date.now() - started} ms`)));
    socket.once('error', (err) => {
      const code = errorCode(err);
      done(
        fail(
          code === 'ECONNREFUSED'
            ? `nothing listens on ${where} (connection refused)`
            : `TCP to ${where} failed: ${errorMessage(err)}`,
          remedy(),
        ),
      );
    });
  });

  function remedy(): string {
    if (role === 'proxy')
      return `start the proxy at ${where}, or correct its URL; open TCP ${where} from this machine`;
    return target.port === 8883
      ? `open TCP 8883 to ${target.host}, or use port 443 with ALPN (agent.json "port": 443)`
      : `open TCP ${target.port} to ${target.host} in the firewall`;
  }
}
