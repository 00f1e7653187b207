/**
 * The Node flags the agent runs with (systemd unit, Windows service, footprint bench): they keep
 * the V8 heap small for a process whose live data is a few MB. Measured by
 * `npm run bench:agent-footprint`; docs/agent-deploy.md has the figures.
 *
 * Not --jitless: it would cut CPU-heavy JIT memory but disables WebAssembly, which PAC evaluation
 * (QuickJS) needs.
 */
export const AGENT_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=64',
  '--max-semi-space-size=1',
  '--optimize-for-size',
];

/**
 * Environment for the agent's process (Linux, glibc). glibc gives each thread that allocates its
 * own malloc arena; node's libuv pool threads read procfs and the outbox, and their arenas grew the
 * RSS by ~4 MB over the bench's first minutes. Two arenas stop that growth.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
