/**
 * Run inside a network namespace: listens on the namespace's own 127.0.0.1:<port> (0: any free
 * port) and pipes each connection to a unix-domain socket served in the root namespace
 * (serveUnixToTcp in netns.ts). Prints `forwarding 127.0.0.1:<port>` once listening.
 *
 *   node --import tsx test/support/netns-forwarder.ts <port> <socket path>
 */
import { createConnection, createServer } from 'node:net';
import { pipeline } from 'node:stream';

const [portText, socketPath] = process.argv.slice(2);
if (portText === undefined || socketPath === undefined) {
  console.error('usage: netns-forwarder.ts <port> <unix socket path>');
  process.exit(2);
}

const server = createServer((inbound) => {
  const outbound = createConnection(socketPath);
  pipeline(inbound, outbound, inbound, () => {
    inbound.destroy();
    outbound.destroy();
  });
});
server.listen(Number(portText), '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  console.log(`forwarding 127.0.0.1:${address.port}`);
});
