/** A device's inventory and change history: the read-only inventory API (wiring/inventory-api.ts). */
import type { functions } from '#wiring/fleet.ts';
import { getInventoryRoute, listInventoryChangesRoute } from './api/inventory.ts';
import { apiHandler } from './commons/api-handler.ts';
import { s3 } from './commons/aws/s3.ts';
import { inventoryDeps } from './inventory/handler-deps.ts';

type Route = (typeof functions.inventoryApi.trigger.routes)[number];

const inventory = inventoryDeps({ archive: s3 });

export const handler = apiHandler<Route>({
  'GET /devices/{id}/inventory': (event) => getInventoryRoute(inventory, event),
  'GET /devices/{id}/inventory/changes': (event) => listInventoryChangesRoute(inventory, event),
});
