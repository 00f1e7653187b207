/** The network-namespace harness the Wake-on-LAN test stands on: it must leave nothing behind. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createNetnsPair } from '../support/netns.ts';

const run = promisify(execFile);
const namespaces = async (): Promise<string[]> =>
  (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);

describe('network-namespace harness', () => {
  it('joins two namespaces by a veth pair on the test subnet, reachable only inside them', async () => {
    const net = await createNetnsPair({ a: '10.213.9.1/24', b: '10.213.9.2/24' });
    try {
      const listener = net.b.spawnNode(['test/support/udp-listener.ts', `${net.b.address}:9`]);
      await listener.line(/^listening$/, 20_000);
      const sender = net.a.spawnNode([
        '-e',
        `const s = require('node:dgram').createSocket('udp4'); s.send('hi', 9, '${net.b.address}', () => s.close())`,
      ]);
      await sender.exited;
      const received = await listener.line(/^\{/, 10_000);
      const rootRoutes = (await run('ip', ['-4', 'route', 'show'])).stdout;

      expect(JSON.parse(received)).toMatchObject({ to: net.b.address, from: net.a.address, hex: '6869' });
      expect(rootRoutes).not.toContain('10.213.9.');
      expect(await namespaces()).toEqual(expect.arrayContaining([net.a.name, net.b.name]));
    } finally {
      await net.cleanup();
    }
  });

  it('cleanup kills what ran inside and deletes both namespaces, and may be called twice', async () => {
    const net = await createNetnsPair({ a: '10.213.9.1/24', b: '10.213.9.2/24' });
    const child = net.b.spawnNode(['-e', 'setInterval(() => {}, 1000); console.log("up")']);
    await child.line(/^up$/, 20_000);

    await net.cleanup();
    await net.cleanup();

    expect((await child.exited).signal).toBe('SIGKILL');
    expect(await namespaces()).not.toContain(net.a.name);
    expect(await namespaces()).not.toContain(net.b.name);
  });

  it('removes namespaces left by a test process that died before its cleanup', async () => {
    const dead = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    const abandoned = `fpw-${Number(dead.stdout.trim()).toString(36)}-beef-a`;
    await run('ip', ['netns', 'add', abandoned]);

    const net = await createNetnsPair({ a: '10.213.9.1/24', b: '10.213.9.2/24' });
    await net.cleanup();

    expect(await namespaces()).not.toContain(abandoned);
  });
});
