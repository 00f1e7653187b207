/** GET /devices/{id}/inventory and GET /devices/{id}/inventory/changes. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { InventoryChangesPageSchema, InventoryViewSchema } from '#protocol/api/inventory-views.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import { SECTION_NAMES } from '#protocol/inventory.ts';
import type { functions } from '#wiring/fleet.ts';
import { MAX_CURSOR_CHARS } from '../commons/cursor.ts';
import { json, parseInput } from '../commons/http.ts';
import type { InventoryDeps } from '../inventory/deps.ts';
import {
  DEFAULT_CHANGES_LIMIT,
  getInventory,
  listInventoryChanges,
  MAX_CHANGES_LIMIT,
} from '../inventory/read-model.ts';
import { DevicePathSchema } from './devices.ts';

const InventoryQuerySchema = z
  .object({
    sections: z
      .string()
      .max(512)
      .optional()
      .describe(`Comma-separated section names (${SECTION_NAMES.join(', ')}); default: all`),
  })
  .strict();
const ChangesQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .optional()
      .describe(`Changes per page, ${DEFAULT_CHANGES_LIMIT} by default, at most ${MAX_CHANGES_LIMIT}`),
    cursor: z.string().max(MAX_CURSOR_CHARS).optional(),
  })
  .strict();

export async function getInventoryRoute(
  deps: InventoryDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(DevicePathSchema, event.pathParameters, 'path');
  const query = parseInput(InventoryQuerySchema, event.queryStringParameters, 'query');
  return json(await getInventory(deps, id, query.sections));
}

export async function listInventoryChangesRoute(
  deps: InventoryDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(DevicePathSchema, event.pathParameters, 'path');
  const query = parseInput(ChangesQuerySchema, event.queryStringParameters, 'query');
  return json(
    await listInventoryChanges(deps, id, {
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    }),
  );
}

export const inventoryRouteDocs: RouteDocs<(typeof functions.inventoryApi.trigger.routes)[number]> = {
  'GET /devices/{id}/inventory': {
    summary: "A device's current inventory",
    description: 'The whole stored inventory, or the selected sections, as one consistent snapshot.',
    path: DevicePathSchema,
    query: InventoryQuerySchema,
    responses: {
      200: { description: 'The inventory', schema: InventoryViewSchema },
      404: { description: 'No inventory for this device' },
    },
  },
  'GET /devices/{id}/inventory/changes': {
    summary: "What changed in a device's inventory, newest first",
    path: DevicePathSchema,
    query: ChangesQuerySchema,
    responses: {
      200: { description: 'One page of changes', schema: InventoryChangesPageSchema },
      404: { description: 'No inventory for this device' },
    },
  },
};
