import type { AgentContext } from '#agent/module.ts';
import { type Command, type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { decodeFramed, decodeJson } from '#protocol/encoding.ts';
import { type Report, ReportSchema } from '#protocol/inventory.ts';
import { PolicyDocumentSchema } from '#protocol/policy.ts';

/** An AgentContext that records publishes (reports and command results) and lets a test deliver commands. */
export function fakeContext(dataDir: string) {
  const published: Report[] = [];
  const results: CommandResult[] = [];
  const handlers = new Map<string, (command: Command) => Promise<void> | void>();
  const context: AgentContext = {
    deviceId: 'dev-1',
    agentVersion: '1.2.3',
    dataDir,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    policy: () => PolicyDocumentSchema.parse({ version: 0 }),
    publish: async (topic, payload) => {
      if (topic === 'dt/fleet/dev-1/command-result') {
        results.push(CommandResultSchema.parse(decodeJson(payload)));
        return;
      }
      if (topic !== 'dt/fleet/dev-1/report') throw new Error(`unexpected topic ${topic}`);
      published.push(ReportSchema.parse(decodeFramed(payload)));
    },
    onCommand: (type, handler) => {
      handlers.set(type, handler as (command: Command) => Promise<void> | void);
    },
    onConnected() {},
  };
  const send = async (command: Command) => handlers.get(command.type)?.(command);
  return { context, published, results, send };
}
