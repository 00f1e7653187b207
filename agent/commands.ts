/**
 * Cloud → device commands: decode, validate, drop duplicates, route to the handler registered for
 * the type, and report progress on command-result (acknowledged, then failed if the handler
 * throws; handlers report success themselves, with their own detail).
 */
import type * as z from 'zod';
import { type Command, type CommandResult, CommandSchema, type CommandType } from '#protocol/commands.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { errorMessage } from './logger.ts';
import type { AgentLogger } from './module.ts';

export type CommandHandler<T extends CommandType = CommandType> = (
  command: Extract<Command, { type: T }>,
) => Promise<void> | void;

export interface CommandRouterOptions {
  readonly logger: AgentLogger;
  /** Publishes a command-result (durably: through the outbox). */
  readonly sendResult: (result: CommandResult) => Promise<void>;
  /** How many recent command ids are remembered to drop redeliveries. */
  readonly dedupWindow: number;
  readonly now?: () => number;
}

export const KNOWN_COMMAND_TYPES: ReadonlySet<string> = new Set(
  CommandSchema.options.map((o) => o.shape.type.value),
);

function readableCommandId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { commandId?: unknown }).commandId;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

export class CommandRouter {
  private readonly handlers = new Map<CommandType, CommandHandler>();
  private readonly recent: string[] = [];
  private readonly now: () => number;

  constructor(private readonly options: CommandRouterOptions) {
    this.now = options.now ?? Date.now;
  }

  on<T extends CommandType>(type: T, handler: CommandHandler<T>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for '${type}' commands is already registered`);
    this.handlers.set(type, handler as unknown as CommandHandler);
  }

  /** Handles one payload received on cmd/fleet/{id}. Never throws. */
  async dispatch(payload: Buffer): Promise<void> {
    const { logger } = this.options;
    let raw: unknown;
    try {
      raw = decodeJson(payload);
    } catch (err) {
      logger.warn('command dropped: undecodable payload', {
        error: errorMessage(err),
        bytes: payload.length,
      });
      return;
    }
    const parsed = CommandSchema.safeParse(raw);
    if (!parsed.success) return this.rejectInvalid(raw, parsed.error);
    const command = parsed.data;
    if (this.seenRecently(command.commandId)) {
      logger.debug('command dropped: already handled', { commandId: command.commandId });
      return;
    }
    if (command.expiresAt !== undefined && command.expiresAt < this.now()) {
      return this.fail(
        command.commandId,
        `expired at ${new Date(command.expiresAt).toISOString()} before it ran`,
      );
    }
    const handler = this.handlers.get(command.type);
    if (handler === undefined) {
      return this.fail(command.commandId, `this agent does not handle '${command.type}' commands`);
    }
    logger.info('command received', { commandId: command.commandId, type: command.type });
    await this.report({ commandId: command.commandId, status: 'acknowledged', at: this.now() });
    try {
      await handler(command);
    } catch (err) {
      logger.warn('command failed', {
        commandId: command.commandId,
        type: command.type,
        error: errorMessage(err),
      });
      await this.fail(command.commandId, errorMessage(err));
    }
  }

  private async rejectInvalid(raw: unknown, error: z.ZodError): Promise<void> {
    const { logger } = this.options;
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !KNOWN_COMMAND_TYPES.has(type)) {
      // A newer cloud may send types this agent predates: not an error.
      logger.warn('command ignored: unknown type', { type, commandId: readableCommandId(raw) });
      return;
    }
    const reason = `invalid command: ${formatZodIssues(error)}`;
    const commandId = readableCommandId(raw);
    logger.warn('command rejected', { commandId, reason });
    if (commandId !== undefined) await this.fail(commandId, reason);
  }

  private seenRecently(commandId: string): boolean {
    if (this.recent.includes(commandId)) return true;
    this.recent.push(commandId);
    if (this.recent.length > this.options.dedupWindow) this.recent.shift();
    return false;
  }

  private fail(commandId: string, reason: string): Promise<void> {
    return this.report({ commandId, status: 'failed', at: this.now(), reason: reason.slice(0, 1024) });
  }

  private async report(result: CommandResult): Promise<void> {
    try {
      await this.options.sendResult(result);
    } catch (err) {
      this.options.logger.error('cannot publish command result', {
        commandId: result.commandId,
        status: result.status,
        error: errorMessage(err),
      });
    }
  }
}
