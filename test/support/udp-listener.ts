/**
 * Run inside a network namespace: binds a UDP socket on every `<address>:<port>` given and prints
 * one JSON line per datagram received: {to, port, from, bytes, hex}. Bound to a broadcast address
 * a socket receives only what was sent to that address, so `to` is the datagram's destination.
 * Prints `listening` once every socket is bound.
 *
 *   node --import tsx test/support/udp-listener.ts 10.213.0.255:9 255.255.255.255:9
 */
import { createSocket } from 'node:dgram';

const endpoints = process.argv.slice(2).map((arg) => {
  const [address, port] = arg.split(':');
  if (address === undefined || port === undefined) throw new Error(`expected <address>:<port>, got ${arg}`);
  return { address, port: Number(port) };
});

await Promise.all(
  endpoints.map(
    ({ address, port }) =>
      new Promise<void>((resolve, reject) => {
        const socket = createSocket({ type: 'udp4' });
        socket.once('error', reject);
        socket.on('message', (message, remote) => {
          const line = {
            to: address,
            port,
            from: remote.address,
            bytes: message.length,
            hex: message.toString('hex'),
          };
          console.log(JSON.stringify(line));
        });
        socket.bind({ address, port }, () => resolve());
      }),
  ),
);
console.log('listening');
