/** GET /devices and GET /devices/{id}: the read-only device API (wiring/devices-api.ts). */
import type { functions } from '#wiring/fleet.ts';
import { getDeviceRoute, listDevicesRoute } from './api/devices.ts';
import { apiHandler } from './commons/api-handler.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { resourceNames } from './commons/env.ts';

type Route = (typeof functions.devicesApi.trigger.routes)[number];

const devices = { ddb, tableName: resourceNames.table('devices') };

export const handler = apiHandler<Route>({
  'GET /devices': (event) => listDevicesRoute(devices, event),
  'GET /devices/{id}': (event) => getDeviceRoute(devices, event),
});
