/**
 * The choice among the agent's ordered paths (paths.ts): each connect tries them from the top and
 * keeps the first that opens (TCP, the proxy's CONNECT, verified TLS); while connected on a later
 * path, the earlier (preferred) ones are probed on an interval, and when one opens again the caller
 * is told to move back to it. A probe is `transport.open()` then close: no MQTT.
 */
import type { PathFailure } from '#protocol/heartbeat.ts';
import { TlsInterceptionError } from './errors.ts';
import type { HandshakeFacts } from './handshake.ts';
import { type AgentPath, DIRECT_PATH, type PathPlan } from './paths.ts';
import type { Transport } from './transport.ts';

/** Where the paths come from; asked again at every connect and every re-probe (policy changes). */
export interface PathSource {
  plan(): Promise<PathPlan>;
  /** Every path of a connect failed (a PAC file is then fetched again). */
  roundFailed?(): void;
}

export interface PathChooserOptions {
  readonly source: PathSource;
  readonly transportFor: (path: AgentPath) => Transport;
  /** Bound on one path's open (TCP + CONNECT + TLS). */
  readonly openTimeoutMs: number;
  /** How often the preferred paths are probed while a later one is in use. */
  readonly reprobeMs: number;
  /** Turns an error into the named reason reported for the path. */
  readonly describe: (err: unknown) => string;
  /** A path failed and `next` is tried at once. The last path's failure is the caller's to report. */
  readonly onPathFailed?: (path: AgentPath, err: unknown, next: AgentPath) => void;
  /** A plan entry could not become a path (PAC failed, SOCKS entry, ...). */
  readonly onSkipped?: (skipped: PathFailure) => void;
  /** A preferred path opens again, or the path in use left the list: reconnect (from the top). */
  readonly onMoveBack: (reason: string) => void;
  /** A probe's outcome, for debug logs. */
  readonly onProbe?: (path: AgentPath, outcome: 'ok' | string) => void;
}

export type RoundResult =
  | {
      readonly opened: true;
      readonly path: AgentPath;
      readonly transport: Transport;
      readonly facts: HandshakeFacts;
    }
  | { readonly opened: false; readonly path: AgentPath; readonly error: unknown }
  /** The caller moved on (stopped, or a newer attempt) while this round ran. */
  | { readonly opened: false; readonly abandoned: true };

export class PathChooser {
  private inUse: { path: AgentPath; transport: Transport } | undefined;
  private lastFailures: readonly PathFailure[] = [];
  private interceptionSeen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private probing = false;

  constructor(private readonly options: PathChooserOptions) {}

  /** The transport in use, or the last one tried (before any connect: the direct one). */
  transport(): Transport {
    this.inUse ??= { path: DIRECT_PATH, transport: this.options.transportFor(DIRECT_PATH) };
    return this.inUse.transport;
  }

  path(): AgentPath {
    this.transport();
    return (this.inUse as { path: AgentPath }).path;
  }

  /** Why each path tried before the one in use failed, at the last connect. */
  failures(): readonly PathFailure[] {
    return this.lastFailures;
  }

  /** The latest TLS interception message seen on any path. */
  interception(): string | undefined {
    return this.interceptionSeen;
  }

  /** Tries the paths from the top; resolves with the first that opens, or the last failure. */
  async openRound(stillWanted: () => boolean): Promise<RoundResult> {
    const plan = await this.options.source.plan();
    if (!stillWanted()) return { opened: false, abandoned: true };
    const failures: PathFailure[] = [...plan.skipped];
    for (const skipped of plan.skipped) this.options.onSkipped?.(skipped);
    const paths = plan.paths.length === 0 ? [DIRECT_PATH] : plan.paths;
    for (const [i, path] of paths.entries()) {
      const transport = this.options.transportFor(path);
      this.inUse = { path, transport };
      try {
        const facts = await transport.open(this.options.openTimeoutMs);
        if (!stillWanted()) {
          facts.socket.destroy();
          return { opened: false, abandoned: true };
        }
        this.lastFailures = failures;
        return { opened: true, path, transport, facts };
      } catch (err) {
        if (!stillWanted()) return { opened: false, abandoned: true };
        this.noteFailure(err);
        failures.push({ path: path.name, reason: this.options.describe(err) });
        const next = paths[i + 1];
        if (next === undefined) {
          this.lastFailures = failures;
          this.options.source.roundFailed?.();
          return { opened: false, path, error: err };
        }
        this.options.onPathFailed?.(path, err, next);
      }
    }
    throw new Error('unreachable: a plan always has a path');
  }

  /** Connected: probe the preferred paths every `reprobeMs` until stopReprobe(). */
  startReprobe(): void {
    this.stopReprobe();
    const generation = this.generation;
    this.timer = setInterval(() => void this.reprobe(generation), this.options.reprobeMs);
    this.timer.unref?.();
  }

  stopReprobe(): void {
    this.generation += 1;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads the plan now (after a policy change) and probes the preferred paths. */
  reprobeNow(): void {
    if (this.timer === undefined) return;
    void this.reprobe(this.generation);
  }

  private async reprobe(generation: number): Promise<void> {
    if (this.probing || this.inUse === undefined) return;
    this.probing = true;
    try {
      const current = this.inUse.path;
      const plan = await this.options.source.plan();
      if (generation !== this.generation) return;
      const index = plan.paths.findIndex((p) => p.name === current.name);
      if (index === -1) {
        this.options.onMoveBack(`${current.name} is no longer among the agent's paths`);
        return;
      }
      for (const path of plan.paths.slice(0, index)) {
        const outcome = await this.probe(path);
        if (generation !== this.generation) return;
        this.options.onProbe?.(path, outcome);
        if (outcome === 'ok') {
          this.options.onMoveBack(`moving back to the preferred path ${path.name}, which works again`);
          return;
        }
      }
    } catch (err) {
      this.options.onProbe?.(this.inUse?.path ?? DIRECT_PATH, this.options.describe(err));
    } finally {
      this.probing = false;
    }
  }

  private async probe(path: AgentPath): Promise<'ok' | string> {
    try {
      const { socket } = await this.options.transportFor(path).open(this.options.openTimeoutMs);
      socket.destroy();
      return 'ok';
    } catch (err) {
      this.noteFailure(err);
      return this.options.describe(err);
    }
  }

  private noteFailure(err: unknown): void {
    if (err instanceof TlsInterceptionError) this.interceptionSeen = err.message;
  }
}
