/**
 * The commands API as the CLI calls it, typed from protocol/api/commands.ts: bodies are built from
 * CreateCommandSchema's input type and answers are read through the contract's schemas, so an API
 * that answers something else is named as such instead of being printed half-understood.
 */
import * as z from 'zod';
import {
  type CommandDetail,
  CommandDetailSchema,
  CommandIdSchema,
  type CommandStatus,
  type CommandView,
  CommandViewSchema,
  type CreateCommandSchema,
  type DeviceOutcome,
  type OperatorCommandType,
} from '#protocol/api/commands.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { type ApiTarget, requestJson } from './api-client.ts';

export type CreateCommandBody = z.input<typeof CreateCommandSchema>;

/** `POST /commands` answers 202 with at least the command id. */
const CreatedSchema = z.looseObject({ commandId: CommandIdSchema });
const CommandPageSchema = z.object({ items: z.array(CommandViewSchema), nextCursor: z.string().nullable() });

function read<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new Error(
    `the API answered ${what} with something this CLI does not understand (${formatZodIssues(parsed.error, { limit: 3 })}); is the CLI as recent as the API?`,
  );
}

const commandPath = (commandId: string): string => `commands/${encodeURIComponent(commandId)}`;

/** What an accepted create or cancel says: the id, and the command's view when the API sends it. */
export interface Accepted {
  readonly commandId: string;
  readonly view?: CommandView;
}

function accepted(body: unknown, what: string): Accepted {
  const view = CommandViewSchema.safeParse(body);
  if (view.success) return { commandId: view.data.commandId, view: view.data };
  return { commandId: read(CreatedSchema, body, what).commandId };
}

export async function createCommand(target: ApiTarget, body: CreateCommandBody): Promise<Accepted> {
  return accepted(await requestJson(target, 'commands', { method: 'POST', body }), 'POST /commands');
}

export interface CommandFilter {
  readonly type?: OperatorCommandType;
  readonly status?: CommandStatus;
  readonly limit?: number;
}

/** Recent commands, newest first, up to `limit` (one page of the API at most per call). */
export async function listCommands(target: ApiTarget, filter: CommandFilter): Promise<CommandView[]> {
  const wanted = filter.limit ?? 50;
  const out: CommandView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(Math.min(wanted - out.length, 100)) });
    if (filter.type) query.set('type', filter.type);
    if (filter.status) query.set('status', filter.status);
    if (cursor) query.set('cursor', cursor);
    const page = read(CommandPageSchema, await requestJson(target, `commands?${query}`), 'GET /commands');
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < wanted);
  return out.slice(0, wanted);
}

/** The command and one page of its per-device outcomes. */
export async function getCommand(
  target: ApiTarget,
  commandId: string,
  page: { readonly cursor?: string; readonly limit?: number } = {},
): Promise<CommandDetail> {
  const query = new URLSearchParams();
  if (page.limit !== undefined) query.set('limit', String(page.limit));
  if (page.cursor !== undefined) query.set('cursor', page.cursor);
  const suffix = query.size > 0 ? `?${query}` : '';
  return read(
    CommandDetailSchema,
    await requestJson(target, `${commandPath(commandId)}${suffix}`),
    'GET /commands/{id}',
  );
}

/**
 * Per-device outcomes over every page, stopping once `enough` of those `keep` selects are found
 * (a summary of failures needs a few, not all of a 100,000-device command).
 */
export async function deviceOutcomes(
  target: ApiTarget,
  commandId: string,
  options: {
    readonly keep?: (o: DeviceOutcome) => boolean;
    readonly enough?: number;
    /** Outcomes per request. @default the API's (100) */
    readonly pageSize?: number;
  } = {},
): Promise<DeviceOutcome[]> {
  const keep = options.keep ?? (() => true);
  const enough = options.enough ?? Number.POSITIVE_INFINITY;
  const out: DeviceOutcome[] = [];
  let cursor: string | null = null;
  do {
    const detail = await getCommand(target, commandId, {
      ...(cursor ? { cursor } : {}),
      ...(options.pageSize === undefined ? {} : { limit: options.pageSize }),
    });
    out.push(...detail.devices.items.filter(keep));
    cursor = detail.devices.nextCursor;
  } while (cursor && out.length < enough);
  return out.slice(0, enough);
}

export async function cancelCommand(target: ApiTarget, commandId: string): Promise<Accepted> {
  const body = await requestJson(target, `${commandPath(commandId)}/cancel`, { method: 'POST' });
  // A bare 202/204 is an accepted cancel too.
  return body === undefined ? { commandId } : accepted(body, 'POST /commands/{id}/cancel');
}
