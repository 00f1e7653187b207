/**
 * The operator API: one function behind API Gateway's HTTP API. API Gateway has already matched the
 * route (and authenticated the caller); `routeKey` picks the handler. The route table is typed from
 * wiring/functions.ts, so a route declared there without a handler here does not compile.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { functions } from '#wiring/functions.ts';
import { getDeviceRoute, listDevicesRoute } from './api/devices.ts';
import { getInventoryRoute, listInventoryChangesRoute } from './api/inventory.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { s3 } from './commons/aws/s3.ts';
import { resourceNames } from './commons/env.ts';
import { NotFoundError } from './commons/errors.ts';
import { bodyLimit, httpErrors } from './commons/http.ts';
import { withPowertools } from './commons/middleware.ts';
import { metrics } from './commons/powertools.ts';
import { inventoryDeps } from './inventory/handler-deps.ts';

type ApiRoute = (typeof functions.api.trigger.routes)[number];
type RouteHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const devices = { ddb, tableName: resourceNames.table('devices') };
const inventory = inventoryDeps({ archive: s3 });

const routes: Record<ApiRoute, RouteHandler> = {
  'GET /devices': (event) => listDevicesRoute(devices, event),
  'GET /devices/{id}': (event) => getDeviceRoute(devices, event),
  'GET /devices/{id}/inventory': (event) => getInventoryRoute(inventory, event),
  'GET /devices/{id}/inventory/changes': (event) => listInventoryChangesRoute(inventory, event),
};

export const handler = withPowertools(async (event: APIGatewayProxyEventV2) => {
  const route = routes[event.routeKey as ApiRoute];
  if (!route) throw new NotFoundError(`no route ${event.routeKey}`);
  metrics.addMetric('ApiRequest', 'Count', 1);
  return route(event);
})
  .use(httpErrors())
  .use(bodyLimit());
