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
