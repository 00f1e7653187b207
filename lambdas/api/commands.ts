/**
 * The commands API: create (idempotent with a client token), list, show with per-device outcomes,
 * cancel, and a device's commands. Domain logic is in ../commands/; this file parses, pages and
 * documents (RouteDocs from the same schemas).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  type CommandDetail,
  CommandDetailSchema,
  CommandIdSchema,
  CommandStatusSchema,
  CommandViewSchema,
  CreateCommandSchema,
  DeviceCommandRowSchema,
  OPERATOR_COMMAND_TYPES,
  type OperatorCommandType,
} from '#protocol/api/commands.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import { DeviceIdSchema, EpochMsSchema } from '#protocol/ids.ts';
import type { functions } from '#wiring/fleet.ts';
import { cancelCommand } from '../commands/cancel.ts';
import { type CreateDeps, createCommand } from '../commands/create.ts';
import {
  commandView,
  countOutcomes,
  listCommands,
  listDeviceCommands,
  listOutcomes,
  outcomeView,
} from '../commands/read.ts';
import { getMeta, type StoreDeps } from '../commands/store.ts';
import { decodeCursor, encodeCursor, MAX_CURSOR_CHARS } from '../commons/cursor.ts';
import { BadRequestError, NotFoundError } from '../commons/errors.ts';
import { json, parseInput } from '../commons/http.ts';

export type CommandsRoute = (typeof functions.commandsApi.trigger.routes)[number];
export type CommandsReadRoute = (typeof functions.commandsReadApi.trigger.routes)[number];
export type CommandsApiDeps = CreateDeps;

const Cursor = z.string().max(MAX_CURSOR_CHARS).optional();
const TypeSchema = z.enum(OPERATOR_COMMAND_TYPES as [OperatorCommandType, ...OperatorCommandType[]]);

export const CommandPathSchema = z.object({ id: CommandIdSchema });
export const DevicePathSchema = z.object({ id: DeviceIdSchema });
export const ListCommandsQuerySchema = z
  .object({
    type: TypeSchema.optional(),
    status: CommandStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: Cursor,
  })
  .strict();
export const CommandDetailQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: Cursor })
  .strict();
export const DeviceCommandsQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: Cursor })
  .strict();
export const CancelBodySchema = z.object({ reason: z.string().min(1).max(512).optional() }).strict();

const CreatedSchema = CommandViewSchema;
const PageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const IndexCursorSchema = z.object({ createdAt: EpochMsSchema, pk: CommandIdSchema }).strict();
const OutcomeCursorSchema = z.object({ after: DeviceIdSchema }).strict();
const LIST_SCOPE = 'GET /commands';
const detailScope = (id: string) => `GET /commands/${id}`;
const deviceScope = (id: string) => `GET /devices/${id}/commands`;

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('invalid body: not JSON');
  }
}

export async function createCommandRoute(
  deps: CommandsApiDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const input = parseInput(CreateCommandSchema, jsonBody(event), 'body');
  const { meta, created } = await createCommand(deps, input);
  return json(commandView(meta), created ? 202 : 200);
}

export async function listCommandsRoute(
  deps: StoreDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const query = parseInput(ListCommandsQuerySchema, event.queryStringParameters, 'query');
  const after = query.cursor ? decodeCursor(IndexCursorSchema, query.cursor, LIST_SCOPE) : undefined;
  const page = await listCommands(deps, {
    limit: query.limit,
    ...(after ? { after } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.status ? { status: query.status } : {}),
  });
  return json({
    items: page.items.map((m) => commandView(m)),
    nextCursor: page.next ? encodeCursor(LIST_SCOPE, { ...page.next }) : null,
  });
}

export async function getCommandRoute(
  deps: StoreDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(CommandPathSchema, event.pathParameters, 'path');
  const query = parseInput(CommandDetailQuerySchema, event.queryStringParameters, 'query');
  const after = query.cursor
    ? decodeCursor(OutcomeCursorSchema, query.cursor, detailScope(id)).after
    : undefined;
  const meta = await getMeta(deps, id);
  if (meta === undefined) throw new NotFoundError(`command ${id} does not exist`);
  const [totals, page] = await Promise.all([
    countOutcomes(deps, id),
    listOutcomes(deps, id, { limit: query.limit, ...(after === undefined ? {} : { after }) }),
  ]);
  const detail: CommandDetail = {
    command: commandView(meta, totals),
    devices: {
      items: page.items.map(outcomeView),
      nextCursor: page.next === undefined ? null : encodeCursor(detailScope(id), { after: page.next }),
    },
  };
  return json(detail);
}

export async function cancelCommandRoute(
  deps: CommandsApiDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(CommandPathSchema, event.pathParameters, 'path');
  const body = parseInput(CancelBodySchema, jsonBody(event), 'body');
  const meta = await cancelCommand(deps, id, body.reason ?? 'canceled by the operator');
  return json(commandView(meta), 202);
}

export async function deviceCommandsRoute(
  deps: StoreDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(DevicePathSchema, event.pathParameters, 'path');
  const query = parseInput(DeviceCommandsQuerySchema, event.queryStringParameters, 'query');
  const after = query.cursor ? decodeCursor(IndexCursorSchema, query.cursor, deviceScope(id)) : undefined;
  const page = await listDeviceCommands(deps, id, { limit: query.limit, ...(after ? { after } : {}) });
  return json({
    items: page.items,
    nextCursor: page.next ? encodeCursor(deviceScope(id), { ...page.next }) : null,
  });
}

export const commandsRouteDocs: RouteDocs<CommandsRoute> = {
  'POST /commands': {
    summary: 'Create a command',
    description:
      'Targets the devices the selector matches; every device gets its own outcome. With a clientToken the request is idempotent: the same token and body return the same command (200), the same token with another body is a 409. Unknown ids in target.deviceIds are a 400 naming them.',
    body: CreateCommandSchema,
    responses: {
      202: { description: 'Created; the fan-out has started', schema: CreatedSchema },
      200: { description: 'The command this clientToken created before', schema: CreatedSchema },
      400: { description: 'Invalid body, unavailable type or unknown device ids' },
      409: { description: 'The clientToken was used with another request' },
    },
  },
  'POST /commands/{id}/cancel': {
    summary: 'Cancel a command',
    description:
      'Stops the fan-out and cancels every device not in a final state yet, with the reason given. Canceling a canceled command is a no-op.',
    path: CommandPathSchema,
    body: CancelBodySchema,
    responses: {
      202: { description: 'Canceling; devices turn canceled within seconds', schema: CommandViewSchema },
      404: { description: 'No such command' },
      409: { description: 'The command already completed' },
    },
  },
};

export const commandsReadRouteDocs: RouteDocs<CommandsReadRoute> = {
  'GET /commands': {
    summary: 'List commands, most recent first',
    query: ListCommandsQuerySchema,
    responses: { 200: { description: 'One page of commands', schema: PageOf(CommandViewSchema) } },
  },
  'GET /commands/{id}': {
    summary: 'Show a command: totals per state and one page of per-device outcomes',
    path: CommandPathSchema,
    query: CommandDetailQuerySchema,
    responses: {
      200: { description: 'The command', schema: CommandDetailSchema },
      404: { description: 'No such command' },
    },
  },
  'GET /devices/{id}/commands': {
    summary: "A device's commands, most recent first",
    path: DevicePathSchema,
    query: DeviceCommandsQuerySchema,
    responses: { 200: { description: 'One page of commands', schema: PageOf(DeviceCommandRowSchema) } },
  },
};
