/**
 * A child process for the kill -9 fault test: a real Agent whose module publishes two numbered
 * streams (command results and analyzer batches) through Agent.publish, one message after another,
 * and prints `resolved <class> <n>` once each publish resolved. With `drain`, it publishes nothing
 * and only sends what the outbox holds.
 *
 *   node --import tsx test/support/outbox-stream-agent.ts '<json: { config, from, drain, tuning }>'
 */
import { Agent, type AgentOptions } from '#agent/agent.ts';
import type { AgentConfig } from '#agent/config.ts';
import { silentLogger } from '#agent/logger.ts';
import type { AgentContext, AgentModule } from '#agent/module.ts';
import { topics } from '#protocol/topics.ts';
import { simulatedHost } from '#simulator/host-probe.ts';
import { streamPayload } from './broker-stream.ts';

interface StreamAgentArgs {
  readonly config: AgentConfig;
  /** The first number of each stream. */
  readonly from: { readonly 'command-result': number; readonly analyzer: number };
  readonly drain: boolean;
  readonly tuning?: AgentOptions['tuning'];
}

const args = JSON.parse(process.argv[2] ?? '{}') as StreamAgentArgs;

class NumberedStreamModule implements AgentModule {
  readonly name = 'numbered-stream';
  private running = true;

  async start(context: AgentContext): Promise<void> {
    if (args.drain) return;
    const id = context.deviceId;
    void this.run(context, 'command-result', topics.commandResult(id), args.from['command-result']);
    void this.run(context, 'analyzer', topics.analyzer(id, 'sess-1'), args.from.analyzer);
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  private async run(context: AgentContext, dataClass: string, topic: string, from: number): Promise<void> {
    for (let n = from; this.running; n++) {
      await context.publish(topic, streamPayload(n));
      process.stdout.write(`resolved ${dataClass} ${n}\n`);
    }
  }
}

const agent = new Agent({
  config: args.config,
  logger: silentLogger,
  host: simulatedHost(args.config.deviceId, 3),
  modules: [new NumberedStreamModule()],
  ...(args.tuning === undefined ? {} : { tuning: args.tuning }),
});
await agent.start();
process.stdout.write('started\n');
