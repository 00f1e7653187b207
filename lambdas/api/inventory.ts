/** GET /devices/{id}/inventory and GET /devices/{id}/inventory/changes. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { MAX_CURSOR_CHARS } from '../commons/cursor.ts';
import { json, parseInput } from '../commons/http.ts';
import type { InventoryDeps } from '../inventory/deps.ts';
import { getInventory, listInventoryChanges } from '../inventory/read-model.ts';
import { DevicePathSchema } from './devices.ts';

const InventoryQuerySchema = z.object({ sections: z.string().max(512).optional() }).strict();
const ChangesQuerySchema = z
  .object({
    limit: z.string().regex(/^\d+$/, 'must be a whole number').optional(),
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
