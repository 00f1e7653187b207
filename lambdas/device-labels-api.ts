/** PATCH /devices/{id}: the device labels API (wiring/targets.ts), the one device-record writer of the API. */
import type { functions } from '#wiring/fleet.ts';
import { patchDeviceLabelsRoute } from './api/device-labels.ts';
import { apiHandler } from './commons/api-handler.ts';
import { ddb } from './commons/aws/dynamodb.ts';
import { resourceNames } from './commons/env.ts';

type Route = (typeof functions.deviceLabelsApi.trigger.routes)[number];

const labels = {
  ddb,
  devicesTable: resourceNames.table('devices'),
  deviceIndexTable: resourceNames.table('deviceIndex'),
};

export const handler = apiHandler<Route>({
  'PATCH /devices/{id}': (event) => patchDeviceLabelsRoute(labels, event),
});
