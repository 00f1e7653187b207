/** The commands API's writes (wiring/commands.ts): create and cancel; reads are commands-read-api.ts. */
import type { functions } from '#wiring/fleet.ts';
import { type CommandsApiDeps, cancelCommandRoute, createCommandRoute } from './api/commands.ts';
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
  'POST /commands/{id}/cancel': (event) => cancelCommandRoute(deps, event),
});
