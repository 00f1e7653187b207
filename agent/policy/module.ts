/**
 * The policy feature: keeps the policy the agent runs (policy/store.ts), answers `policy-changed`
 * by asking the cloud for the new document, applies `policy` commands, and reports the running
 * version in every heartbeat. Built into the Agent (AgentContext.policy() reads it) and started
 * before the other modules, which read the policy when they start.
 */

import { type Command, type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { encodeJson } from '#protocol/encoding.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import { type PolicyDocument, PolicyRequestSchema } from '#protocol/policy.ts';
import { topics } from '#protocol/topics.ts';
import type { AgentContext, AgentModule } from '../module.ts';
import { PolicyStore } from './store.ts';

const MAX_AWAITING = 16;

export interface PolicyModuleOptions {
  /** Called after a new policy is applied (the agent re-arms its heartbeat timer). */
  readonly onApplied?: (policy: PolicyDocument) => void;
}

export class PolicyModule implements AgentModule {
  readonly name = 'policy';
  private context: AgentContext | undefined;
  private store: PolicyStore | undefined;
  /**
   * `policy-changed` commands answered by a request, waiting for the policy: each is answered
   * `succeeded` once a policy of at least its version is running (a `policy-refresh` command's
   * outcome is that answer). Bounded: an unanswered one times out in the cloud.
   */
  private awaiting: Array<{ commandId: string; version: number }> = [];

  constructor(private readonly options: PolicyModuleOptions = {}) {}

  async start(context: AgentContext): Promise<void> {
    this.context = context;
    this.store = await PolicyStore.load(context.dataDir, context.logger);
    context.onCommand('policy-changed', (command) => this.onPolicyChanged(command));
    context.onCommand('policy', (command) => this.onPolicy(command));
  }

  async stop(): Promise<void> {}

  /** The running policy; undefined before start. */
  current(): PolicyDocument | undefined {
    return this.store?.current();
  }

  heartbeatFields(): Partial<Heartbeat> {
    const policy = this.current();
    return policy === undefined ? {} : { policyVersion: policy.version };
  }

  private started(): { context: AgentContext; store: PolicyStore } {
    const { context, store } = this;
    if (context === undefined || store === undefined) throw new Error('policy module not started');
    return { context, store };
  }

  private publishResult(context: AgentContext, result: CommandResult): Promise<void> {
    return context.publish(
      topics.commandResult(context.deviceId),
      encodeJson(CommandResultSchema.parse(result)),
    );
  }

  private async onPolicyChanged(command: Extract<Command, { type: 'policy-changed' }>): Promise<void> {
    const { context, store } = this.started();
    const current = store.current().version;
    if (command.version <= current) {
      await this.publishResult(context, {
        commandId: command.commandId,
        status: 'succeeded',
        at: Date.now(),
        detail: { policyVersion: current },
      });
      return;
    }
    this.awaiting = [
      ...this.awaiting.filter((a) => a.commandId !== command.commandId),
      { commandId: command.commandId, version: command.version },
    ].slice(-MAX_AWAITING);
    const request = PolicyRequestSchema.parse({ currentVersion: current });
    await context.publish(topics.policyRequest(context.deviceId), encodeJson(request));
  }

  private async onPolicy(command: Extract<Command, { type: 'policy' }>): Promise<void> {
    const { context, store } = this.started();
    const outcome = await store.apply(command.policy);
    const running = store.current();
    if (outcome === 'applied') {
      this.options.onApplied?.(running);
      context.logger.info('policy applied', { policyVersion: running.version });
    }
    await this.publishResult(context, {
      commandId: command.commandId,
      status: 'succeeded',
      at: Date.now(),
      detail: {
        policyVersion: running.version,
        ...(outcome === 'older'
          ? { note: `ignored version ${command.policy.version}: older than the running one` }
          : {}),
      },
    });
    await this.answerAwaiting(context, running.version);
  }

  private async answerAwaiting(context: AgentContext, running: number): Promise<void> {
    const answered = this.awaiting.filter((a) => a.version <= running);
    if (answered.length === 0) return;
    this.awaiting = this.awaiting.filter((a) => a.version > running);
    for (const { commandId } of answered) {
      await this.publishResult(context, {
        commandId,
        status: 'succeeded',
        at: Date.now(),
        detail: { policyVersion: running },
      });
    }
  }
}
