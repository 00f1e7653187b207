import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, type ConnectionOptions, NotConnectedError, TimeoutError } from '#agent/connection.ts';
import { silentLogger } from '#agent/logger.ts';

type Behaviour = (client: FakeClient) => void;

/** Just enough of mqtt.js's client for the lifecycle: scripted per attempt. */
class FakeClient extends EventEmitter {
  published: string[] = [];
  ackPublishes = true;
  constructor(
    readonly options: IClientOptions,
    private readonly behaviour: Behaviour,
  ) {
    super();
  }
  connect() {
    queueMicrotask(() => this.behaviour(this));
    return this;
  }
  async subscribeAsync(topic: string) {
    return [{ topic, qos: 1 }];
  }
  publish(topic: string, _payload: Buffer, _opts: unknown, cb: (err?: Error) => void) {
    this.published.push(topic);
    if (this.ackPublishes) queueMicrotask(() => cb());
  }
  end() {
    return this;
  }
  async endAsync() {}
}

const refuse: Behaviour = (c) => {
  c.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  c.emit('close');
};
const accept: Behaviour = (c) => c.emit('connect', { sessionPresent: false });
const notAuthorized: Behaviour = (c) => {
  c.emit('error', Object.assign(new Error('Connection refused: Not authorized'), { code: 5 }));
  c.emit('close');
};

function setup(script: Behaviour[], overrides: Partial<ConnectionOptions> = {}) {
  const clients: FakeClient[] = [];
  const events: string[] = [];
  const connection = new Connection({
    clientId: 'dev-1',
    endpoint: { host: 'broker.example', port: 8883 },
    identity: { cert: 'c', key: 'k' },
    commandTopic: 'cmd/fleet/dev-1',
    keepaliveSec: 60,
    connectTimeoutMs: 5_000,
    subscribeTimeoutMs: 5_000,
    publishTimeoutMs: 5_000,
    disconnectTimeoutMs: 1_000,
    backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 0.5 },
    random: () => 1,
    logger: silentLogger,
    createClient: (options) => {
      const client = new FakeClient(options, script[clients.length] ?? refuse);
      clients.push(client);
      return client as unknown as MqttClient;
    },
    ...overrides,
  });
  connection.on('connecting', (e) => events.push(`connecting ${e.attempt}`));
  connection.on('connected', (e) => events.push(`connected ${e.attempt}`));
  connection.on('failed', (e) => events.push(`failed ${e.attempt} ${e.failure.kind} in ${e.retryInMs}`));
  connection.on('disconnected', (e) => events.push(`disconnected in ${e.retryInMs}`));
  return { connection, clients, events };
}

describe('connection lifecycle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with growing delays and reports each failure with its reason', async () => {
    const { connection, events } = setup([refuse, refuse, accept]);
    const reasons: string[] = [];
    connection.on('failed', (e) => reasons.push(e.failure.reason));

    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(2_000);

    expect(events).toEqual([
      'connecting 1',
      'failed 1 tcp in 1000',
      'connecting 2',
      'failed 2 tcp in 2000',
      'connecting 3',
      'connected 3',
    ]);
    expect(reasons[0]).toBe('nothing listens on broker.example:8883 (connection refused)');
    expect(connection.isConnected()).toBe(true);
    await connection.stop();
  });

  it('names a CONNACK refusal precisely', async () => {
    const { connection } = setup([notAuthorized]);
    const failed = new Promise<string>((resolve) =>
      connection.once('failed', (e) => resolve(e.failure.reason)),
    );

    connection.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(await failed).toMatch(/refused the connection: not authorized/);
    await connection.stop();
  });

  it('reconnects after losing an established connection', async () => {
    const { connection, clients, events } = setup([accept, accept]);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);

    clients[0]?.emit('close');
    await vi.advanceTimersByTimeAsync(1_000);

    expect(events).toEqual([
      'connecting 1',
      'connected 1',
      'disconnected in 1000',
      'connecting 2',
      'connected 2',
    ]);
    await connection.stop();
  });

  it('subscribes to the command topic with a persistent session and this client id', async () => {
    const { connection, clients } = setup([accept]);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(clients[0]?.options).toMatchObject({
      clientId: 'dev-1',
      clean: false,
      reconnectPeriod: 0,
    });
    await connection.stop();
  });

  it('refuses to publish while offline', async () => {
    const { connection } = setup([refuse]);

    await expect(connection.publish('dt/fleet/dev-1/heartbeat', Buffer.from('{}'), 1)).rejects.toThrow(
      NotConnectedError,
    );
  });

  it('bounds the wait for a PUBACK', async () => {
    const { connection, clients } = setup([accept]);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    if (clients[0]) clients[0].ackPublishes = false;

    const publishing = connection.publish('dt/fleet/dev-1/report', Buffer.from('x'), 1);
    const assertion = expect(publishing).rejects.toThrow(TimeoutError);
    await vi.advanceTimersByTimeAsync(5_000);

    await assertion;
    await connection.stop();
  });

  it('fails pending publishes when the connection drops', async () => {
    const { connection, clients } = setup([accept]);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    if (clients[0]) clients[0].ackPublishes = false;

    const publishing = connection.publish('dt/fleet/dev-1/report', Buffer.from('x'), 1);
    clients[0]?.emit('close');

    await expect(publishing).rejects.toThrow(NotConnectedError);
    await connection.stop();
  });

  it('bounds the wait for a connection', async () => {
    const { connection } = setup([]);
    connection.start();
    const waiting = expect(connection.waitConnected(3_000)).rejects.toThrow(TimeoutError);

    await vi.advanceTimersByTimeAsync(3_000);

    await waiting;
    await connection.stop();
  });
});
