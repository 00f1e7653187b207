import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProxyError, TlsInterceptionError } from '#agent/transport/errors.ts';
import type { HandshakeFacts } from '#agent/transport/handshake.ts';
import type { PacProxyFinder } from '#agent/transport/pac/index.ts';
import { parsePacAnswer } from '#agent/transport/pac/pac-answer.ts';
import { PathChooser, type PathChooserOptions } from '#agent/transport/path-choice.ts';
import { type AgentPath, buildPaths, type PathPlan } from '#agent/transport/paths.ts';
import type { Transport } from '#agent/transport/transport.ts';

const endpoint = { endpoint: 'iot.example', port: 8883 };
const options = { connectTimeoutMs: 5_000, env: {} };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const names = (plan: PathPlan) => plan.paths.map((p) => p.name);

function fakePac(answer: () => { proxies: string[]; skipped?: { path: string; reason: string }[] }) {
  const calls: string[] = [];
  const finder = {
    find: async (url: string) => {
      calls.push(url);
      const a = answer();
      return { proxies: a.proxies, skipped: a.skipped ?? [] };
    },
    invalidate: () => undefined,
  } as unknown as PacProxyFinder;
  return { finder, calls };
}

describe('which proxies the agent tries, in order', () => {
  it("uses the policy's non-empty list over agent.json's, with direct last", async () => {
    const plan = await buildPaths(
      { ...endpoint, proxies: [{ url: 'http://cfg:3128' }] },
      {
        proxies: [
          { url: 'http://p1:8080', user: 'svc', passwordB64: b64('s3cret') },
          { url: 'http://p2:8080/' },
        ],
      },
      options,
    );

    expect(plan.source).toBe('policy');
    expect(names(plan)).toEqual(['proxy http://p1:8080', 'proxy http://p2:8080', 'direct']);
    expect(plan.paths[0]?.proxy).toEqual({
      url: 'http://p1:8080',
      credentials: { user: 'svc', password: 's3cret' },
      connectTimeoutMs: 5_000,
    });
  });

  it("falls back to agent.json's list when the policy's is empty, each proxy once", async () => {
    const plan = await buildPaths(
      {
        ...endpoint,
        proxies: [{ url: 'http://cfg:3128' }, { url: 'http://cfg:3128/' }],
        pacUrl: 'http://pac/x.pac',
      },
      { proxies: [] },
      { ...options, pac: fakePac(() => ({ proxies: ['http://never:1'] })).finder },
    );

    expect(plan.source).toBe('config');
    expect(names(plan)).toEqual(['proxy http://cfg:3128', 'direct']);
  });

  it("asks the policy's PAC over agent.json's when no list is set", async () => {
    const pac = fakePac(() => ({ proxies: ['http://10.0.0.1:3128'] }));

    const plan = await buildPaths(
      { ...endpoint, pacUrl: 'http://cfg/x.pac' },
      { proxies: [], pacUrl: 'http://policy/y.pac' },
      { ...options, pac: pac.finder },
    );

    expect(pac.calls).toEqual(['http://policy/y.pac']);
    expect(plan).toMatchObject({
      source: 'pac',
      paths: [{ name: 'proxy http://10.0.0.1:3128', source: 'pac' }, { name: 'direct' }],
    });
  });

  it('goes direct when the PAC fails, naming the failure', async () => {
    const pac = fakePac(() => {
      throw new Error('cannot fetch PAC file http://pac/x.pac: HTTP 500');
    });

    const plan = await buildPaths({ ...endpoint, pacUrl: 'http://pac/x.pac' }, undefined, {
      ...options,
      pac: pac.finder,
    });

    expect(names(plan)).toEqual(['direct']);
    expect(plan.source).toBeUndefined();
    expect(plan.skipped).toEqual([
      { path: 'pac http://pac/x.pac', reason: 'cannot fetch PAC file http://pac/x.pac: HTTP 500' },
    ]);
  });

  it('reads HTTPS_PROXY with its credentials, reported without them', async () => {
    const plan = await buildPaths(endpoint, undefined, {
      ...options,
      env: { HTTPS_PROXY: 'http://svc:p%40ss@proxy.corp:3128' },
    });

    expect(plan.source).toBe('env');
    expect(plan.paths[0]).toMatchObject({
      name: 'proxy http://proxy.corp:3128',
      proxy: { url: 'http://proxy.corp:3128', credentials: { user: 'svc', password: 'p@ss' } },
    });
  });

  it.each([
    ['the host', 'iot.example'],
    ['a domain suffix', '.example'],
    ['everything', '*'],
  ])('goes direct when NO_PROXY covers %s', async (_what, noProxy) => {
    const plan = await buildPaths(endpoint, undefined, {
      ...options,
      env: { https_proxy: 'http://proxy.corp:3128', no_proxy: noProxy },
    });

    expect(names(plan)).toEqual(['direct']);
  });

  it('skips an HTTPS_PROXY that is not an http:// proxy, saying so', async () => {
    const plan = await buildPaths(endpoint, undefined, {
      ...options,
      env: { HTTPS_PROXY: 'socks5://s:1080' },
    });

    expect(names(plan)).toEqual(['direct']);
    expect(plan.skipped[0]?.reason).toMatch(/only http:\/\/ CONNECT proxies are supported/);
  });

  it('ignores the environment when a list is configured', async () => {
    const plan = await buildPaths({ ...endpoint, proxies: [{ url: 'http://cfg:3128' }] }, undefined, {
      ...options,
      env: { HTTPS_PROXY: 'http://env:3128' },
    });

    expect(names(plan)).toEqual(['proxy http://cfg:3128', 'direct']);
  });
});

describe('what a PAC answer becomes', () => {
  it('keeps PROXY entries in order, drops DIRECT, skips SOCKS and HTTPS with a reason', () => {
    const answer = parsePacAnswer(
      'PROXY a.corp:8080; SOCKS5 s.corp:1080;HTTPS h.corp:443 ; proxy b.corp; DIRECT',
    );

    expect(answer.proxies).toEqual(['http://a.corp:8080', 'http://b.corp']);
    expect(answer.skipped.map((s) => s.reason)).toEqual([
      'PAC entry "SOCKS5 s.corp:1080" skipped: SOCKS proxies are not supported',
      'PAC entry "HTTPS h.corp:443" skipped: TLS to the proxy (HTTPS) is not supported',
    ]);
  });

  it('rejects an entry that is not host:port', () => {
    expect(parsePacAnswer('PROXY http://x:1/').skipped[0]?.reason).toMatch(/not PROXY host:port/);
  });
});

describe('choosing among the paths', () => {
  type Behaviour = 'ok' | Error;
  const P1: AgentPath = { name: 'proxy http://p1:3128', source: 'config' };
  const P2: AgentPath = { name: 'proxy http://p2:3128', source: 'config' };
  const DIRECT: AgentPath = { name: 'direct' };
  const refused = (p: AgentPath) =>
    new ProxyError('refused', p.name.slice(6), `nothing listens on ${p.name}`);

  function setup(behaviours: Map<string, Behaviour>, paths: AgentPath[] = [P1, P2, DIRECT]) {
    let plan: PathPlan = { paths, skipped: [] };
    const opened: string[] = [];
    const destroyed: string[] = [];
    const moves: string[] = [];
    const failedPaths: string[] = [];
    let roundsFailed = 0;
    const transportFor = (path: AgentPath): Transport => ({
      kind: 'mqtts',
      endpoint: { host: 'iot.example', port: 8883 },
      proxy: path.name === 'direct' ? null : path.name.slice(6),
      path: path.name,
      open: async () => {
        opened.push(path.name);
        const b = behaviours.get(path.name) ?? 'ok';
        if (b !== 'ok') throw b;
        const socket = { destroy: () => destroyed.push(path.name) } as unknown as Socket;
        return {
          socket: socket as TLSSocket,
          protocol: 'TLSv1.3',
          alpn: null,
          chain: [],
        } satisfies HandshakeFacts;
      },
    });
    const chooserOptions: PathChooserOptions = {
      source: {
        plan: async () => plan,
        roundFailed: () => {
          roundsFailed += 1;
        },
      },
      transportFor,
      openTimeoutMs: 1_000,
      reprobeMs: 60_000,
      describe: (err) => (err as Error).message,
      onPathFailed: (path) => failedPaths.push(path.name),
      onMoveBack: (reason) => moves.push(reason),
    };
    const chooser = new PathChooser(chooserOptions);
    return {
      chooser,
      opened,
      destroyed,
      moves,
      failedPaths,
      roundsFailed: () => roundsFailed,
      setPlan: (p: AgentPath[]) => {
        plan = { paths: p, skipped: [] };
      },
    };
  }

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tries the paths in order and keeps the first that opens, recording why the earlier ones failed', async () => {
    const t = setup(new Map([[P1.name, refused(P1)]]));

    const round = await t.chooser.openRound(() => true);

    expect(round).toMatchObject({ opened: true, path: P2 });
    expect(t.opened).toEqual([P1.name, P2.name]);
    expect(t.failedPaths).toEqual([P1.name]);
    expect(t.chooser.failures()).toEqual([
      { path: P1.name, reason: 'nothing listens on proxy http://p1:3128' },
    ]);
    expect(t.chooser.transport().path).toBe(P2.name);
  });

  it('reports the last failure when every path fails, leaving the backoff to the caller', async () => {
    const t = setup(
      new Map<string, Behaviour>([
        [P1.name, refused(P1)],
        [P2.name, refused(P2)],
        ['direct', new Error('ECONNREFUSED')],
      ]),
    );

    const round = await t.chooser.openRound(() => true);

    expect(round).toMatchObject({ opened: false, path: DIRECT });
    expect(t.failedPaths).toEqual([P1.name, P2.name]);
    expect(t.chooser.failures().map((f) => f.path)).toEqual([P1.name, P2.name, 'direct']);
    expect(t.roundsFailed()).toBe(1);
  });

  it('moves back to the preferred path when a re-probe opens it, and closes the probe', async () => {
    const behaviours = new Map<string, Behaviour>([[P1.name, refused(P1)]]);
    const t = setup(behaviours);
    await t.chooser.openRound(() => true);
    t.chooser.startReprobe();

    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.moves).toEqual([]);

    behaviours.delete(P1.name);
    await vi.advanceTimersByTimeAsync(60_000);

    expect(t.moves).toEqual([`moving back to the preferred path ${P1.name}, which works again`]);
    expect(t.destroyed).toEqual([P1.name]);
  });

  it('probes nothing while on the first path', async () => {
    const t = setup(new Map());
    await t.chooser.openRound(() => true);
    t.chooser.startReprobe();

    await vi.advanceTimersByTimeAsync(180_000);

    expect(t.opened).toEqual([P1.name]);
    expect(t.moves).toEqual([]);
  });

  it('moves when the path in use is no longer in the list (a new policy)', async () => {
    const t = setup(new Map());
    await t.chooser.openRound(() => true);
    t.chooser.startReprobe();

    t.setPlan([P2, DIRECT]);
    t.chooser.reprobeNow();
    await vi.advanceTimersByTimeAsync(0);

    expect(t.moves).toEqual([`${P1.name} is no longer among the agent's paths`]);
  });

  it('stops probing once told', async () => {
    const t = setup(new Map([[P1.name, refused(P1)]]));
    await t.chooser.openRound(() => true);
    t.chooser.startReprobe();
    t.chooser.stopReprobe();

    await vi.advanceTimersByTimeAsync(600_000);

    expect(t.opened).toEqual([P1.name, P2.name]);
  });

  it('remembers the latest interception seen on any path', async () => {
    const interception = new TlsInterceptionError(
      P1.name,
      { host: 'iot.example', port: 8883 },
      'Corp MITM CA',
      'SELF_SIGNED_CERT_IN_CHAIN',
    );
    const t = setup(new Map([[P1.name, interception]]));

    await t.chooser.openRound(() => true);

    expect(t.chooser.interception()).toBe(
      'TLS interception on proxy http://p1:3128: the certificate for iot.example was issued by "Corp MITM CA"; exempt iot.example from SSL inspection',
    );
  });

  it('abandons a round the caller no longer wants, closing what opened', async () => {
    const t = setup(new Map());

    const round = await t.chooser.openRound(() => t.opened.length === 0);

    expect(round).toEqual({ opened: false, abandoned: true });
    expect(t.destroyed).toEqual([P1.name]);
  });
});
