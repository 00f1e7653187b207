/** The commands API's reads (wiring/commands.ts): list, show, and a device's commands. No write. */
import type { functions } from '#wiring/fleet.ts';
import { deviceCommandsRoute, getCommandRoute, listCommandsRoute } from './api/commands.ts';
import { apiHandler } from './commons/api-handler.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { resourceNames } from './commons/env.ts';

type Route = (typeof functions.commandsReadApi.trigger.routes)[number];

const deps = { ddb, table: resourceNames.table('commands') };

export const handler = apiHandler<Route>({
  'GET /commands': (event) => listCommandsRoute(deps, event),
  'GET /commands/{id}': (event) => getCommandRoute(deps, event),
  'GET /devices/{id}/commands': (event) => deviceCommandsRoute(deps, event),
});
