/**
 * `ping`: the round trip operators use to test reachability. Built into every agent (real and
 * simulated), like the policy module: it answers `succeeded` with the time it received the ping.
 */
import { CommandResultSchema } from '#protocol/commands.ts';
import { encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import type { AgentContext, AgentModule } from './module.ts';

export class PingModule implements AgentModule {
  readonly name = 'ping';

  constructor(private readonly now: () => number = Date.now) {}

  async start(context: AgentContext): Promise<void> {
    context.onCommand('ping', async (command) => {
      const receivedAt = this.now();
      const result = CommandResultSchema.parse({
        commandId: command.commandId,
        status: 'succeeded',
        at: receivedAt,
        detail: { receivedAt, issuedAt: command.issuedAt },
      });
      await context.publish(topics.commandResult(context.deviceId), encodeJson(result));
    });
  }

  async stop(): Promise<void> {}
}
