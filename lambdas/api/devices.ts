/** GET /devices and GET /devices/{id}. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DevicePageSchema, DeviceViewSchema } from '#protocol/api/device-views.ts';
import { LabelValueSchema } from '#protocol/api/labels.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import { DeviceIdSchema } from '#protocol/ids.ts';
import type { functions } from '#wiring/fleet.ts';
import { offlineGraceMs } from '../commons/config.ts';
import { decodeCursor, encodeCursor, MAX_CURSOR_CHARS } from '../commons/cursor.ts';
import { NotFoundError } from '../commons/errors.ts';
import { json, parseInput } from '../commons/http.ts';
import { type DevicesDeps, getDeviceItem, listDevices, toView } from '../devices/device-records.ts';

export const ListDevicesQuerySchema = z
  .object({
    status: z.enum(['online', 'offline']).optional(),
    platform: z.enum(['linux', 'windows', 'darwin', 'other']).optional(),
    agentVersion: z.string().min(1).max(64).optional(),
    group: LabelValueSchema.optional(),
    site: LabelValueSchema.optional(),
    tag: LabelValueSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(MAX_CURSOR_CHARS).optional(),
  })
  .strict();

const DeviceCursorSchema = z.object({ after: DeviceIdSchema }).strict();
const DEVICES_CURSOR_SCOPE = 'GET /devices';
export const DevicePathSchema = z.object({ id: DeviceIdSchema });

export async function listDevicesRoute(
  deps: DevicesDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const query = parseInput(ListDevicesQuerySchema, event.queryStringParameters, 'query');
  const startAfter = query.cursor
    ? decodeCursor(DeviceCursorSchema, query.cursor, DEVICES_CURSOR_SCOPE).after
    : undefined;
  const page = await listDevices(deps, {
    filter: {
      ...(query.status ? { status: query.status } : {}),
      ...(query.platform ? { platform: query.platform } : {}),
      ...(query.agentVersion ? { agentVersion: query.agentVersion } : {}),
      ...(query.group ? { group: query.group } : {}),
      ...(query.site ? { site: query.site } : {}),
      ...(query.tag ? { tag: query.tag } : {}),
    },
    limit: query.limit,
    ...(startAfter ? { startAfter } : {}),
    now: Date.now(),
    graceMs: offlineGraceMs(),
  });
  return json({
    items: page.items,
    nextCursor: page.nextKey ? encodeCursor(DEVICES_CURSOR_SCOPE, { after: page.nextKey }) : null,
  });
}

export async function getDeviceRoute(
  deps: DevicesDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(DevicePathSchema, event.pathParameters, 'path');
  const item = await getDeviceItem(deps, id);
  if (!item) throw new NotFoundError(`device ${id} is not known`);
  return json(toView(item, Date.now(), offlineGraceMs()));
}

export const devicesRouteDocs: RouteDocs<(typeof functions.devicesApi.trigger.routes)[number]> = {
  'GET /devices': {
    summary: 'List devices',
    description: 'Every registered device with its derived presence, filtered, one page at a time.',
    query: ListDevicesQuerySchema,
    responses: { 200: { description: 'One page of devices', schema: DevicePageSchema } },
  },
  'GET /devices/{id}': {
    summary: 'Show one device',
    path: DevicePathSchema,
    responses: {
      200: { description: 'The device', schema: DeviceViewSchema },
      404: { description: 'No such device' },
    },
  },
};
