/**
 * Wake-on-LAN bridge: answers `wake-relay` by sending the targets' magic packets on the targets'
 * subnet (plan.ts decides from where and to where, send.ts sends), then reports what it SENT.
 * Whether a target woke is the cloud's to confirm: it sees the target connect.
 */
import { networkInterfaces } from 'node:os';
import { type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { withTimeout } from '../connection.ts';
import type { AgentContext, AgentModule } from '../module.ts';
import { planWake, type WakePlan, type WakeRelayCommand } from './plan.ts';
import { type SendOutcome, sendWakePlan } from './send.ts';

export interface WakeModuleOptions {
  /** Tests hand in a fixed interface list. @default os.networkInterfaces */
  readonly interfaces?: typeof networkInterfaces;
  /** Bound on sending one command's packets (a few datagrams: only a stuck stack takes long). @default 5000 */
  readonly timeoutMs?: number;
  /**
   * Puts the plan's datagrams on the wire. The simulator hands in one that only says what it would
   * send (simulated devices never send packets). @default sendWakePlan
   */
  readonly send?: (plan: WakePlan) => Promise<SendOutcome>;
  /** Marks the result's detail `simulated: true`. @default false */
  readonly simulated?: boolean;
  /** Called with the targets once the result is published (the simulator powers them on). */
  readonly onSent?: (deviceIds: string[]) => void;
}

export class WakeModule implements AgentModule {
  readonly name = 'wake';
  private context: AgentContext | undefined;

  constructor(private readonly options: WakeModuleOptions = {}) {}

  async start(context: AgentContext): Promise<void> {
    this.context = context;
    context.onCommand('wake-relay', (command) => this.onWakeRelay(command));
  }

  async stop(): Promise<void> {}

  private async onWakeRelay(command: WakeRelayCommand): Promise<void> {
    const context = this.context;
    if (context === undefined) throw new Error('wake module not started');
    // A bad subnet, broadcast address or MAC throws here: the router reports it as `failed`.
    const plan = planWake(command, (this.options.interfaces ?? networkInterfaces)());
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    const send = this.options.send ?? sendWakePlan;
    const outcome = await withTimeout(send(plan), timeoutMs, 'sending the magic packets');
    const sent = wakeResult(command, plan, outcome);
    const result = this.options.simulated ? { ...sent, detail: { ...sent.detail, simulated: true } } : sent;
    context.logger.info('wake-relay sent', {
      commandId: command.commandId,
      status: result.status,
      via: plan.via?.name ?? 'default route',
      datagrams: outcome.sent.length,
      failures: outcome.failures.length,
    });
    await context.publish(
      topics.commandResult(context.deviceId),
      encodeJson(CommandResultSchema.parse(result)),
    );
    this.options.onSent?.(command.targets.map((t) => t.deviceId));
  }
}

/** `succeeded` only when every datagram left; a partial send is `failed`, with what did leave. */
export function wakeResult(command: WakeRelayCommand, plan: WakePlan, outcome: SendOutcome): CommandResult {
  const detail = {
    targets: command.targets.map((t) => ({ deviceId: t.deviceId, mac: t.mac })),
    subnet: command.subnet,
    interface: plan.via?.name ?? null,
    sent: outcome.sent.map((s) => ({ ...s })),
    ...(outcome.failures.length > 0 ? { failures: outcome.failures.map((f) => ({ ...f })) } : {}),
  };
  const base = { commandId: command.commandId, at: Date.now(), detail };
  if (outcome.failures.length === 0) return { ...base, status: 'succeeded' };
  const attempts = plan.destinations.length * plan.ports.length;
  const where =
    plan.via === null
      ? `no interface in ${command.subnet}, sending by the routing table`
      : `from ${plan.via.address} on ${plan.via.name}`;
  const errors = [...new Set(outcome.failures.map((f) => f.error))].join('; ');
  const reason = `${outcome.failures.length} of ${attempts} sends failed (${where}): ${errors}`;
  return { ...base, status: 'failed', reason };
}
