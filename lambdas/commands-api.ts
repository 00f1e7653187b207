/** The commands API (wiring/commands.ts): create, list, show, cancel, and a device's commands. */
import type { functions } from '#wiring/fleet.ts';
import {
  type CommandsApiDeps,
  cancelCommandRoute,
  createCommandRoute,
  deviceCommandsRoute,
  getCommandRoute,
  listCommandsRoute,
} from './api/commands.ts';
import { apiHandler } from './commons/api-handler.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { sqs } from './commons/aws/sqs.ts';
import { resourceNames } from './commons/env.ts';

type Route = (typeof functions.commandsApi.trigger.routes)[number];

const deps: CommandsApiDeps = {
  ddb,
  table: resourceNames.table('commands'),
  devicesTable: resourceNames.table('devices'),
  sqs,
  queueUrl: (queue) => resourceNames.queueUrl(queue),
  now: Date.now,
};

export const handler = apiHandler<Route>({
  'POST /commands': (event) => createCommandRoute(deps, event),
  'GET /commands': (event) => listCommandsRoute(deps, event),
  'GET /commands/{id}': (event) => getCommandRoute(deps, event),
  'POST /commands/{id}/cancel': (event) => cancelCommandRoute(deps, event),
  'GET /devices/{id}/commands': (event) => deviceCommandsRoute(deps, event),
});
