/** PATCH /devices/{id}: set a device's operator labels (merge-patch), answered with the device. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DeviceLabelsSchema, PatchDeviceLabelsSchema } from '#protocol/api/labels.ts';
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import { offlineGraceMs } from '../commons/config.ts';
import { BadRequestError } from '../commons/errors.ts';
import { json, parseInput } from '../commons/http.ts';
import { toView } from '../devices/device-records.ts';
import { type LabelsDeps, patchDeviceLabels } from '../targets/labels.ts';
import { DevicePathSchema } from './devices.ts';

type Route = 'PATCH /devices/{id}';

/** The part of the device view this route is about; the rest is as `GET /devices/{id}` shows it. */
const DeviceWithLabelsSchema = z.looseObject({
  deviceId: z.string(),
  status: z.enum(['online', 'offline']),
  labels: DeviceLabelsSchema.optional(),
});

export const deviceLabelsRouteDocs: RouteDocs<Route> = {
  'PATCH /devices/{id}': {
    summary: "Set a device's labels",
    description:
      'Merge-patch of the operator labels: a field given replaces it, null removes it, an absent field stays; tags replace the whole set. Selectors target devices by these labels.',
    path: DevicePathSchema,
    body: PatchDeviceLabelsSchema,
    responses: {
      200: { description: 'The device with its new labels', schema: DeviceWithLabelsSchema },
      400: { description: 'Bad label, unknown field or nothing to change' },
      404: { description: 'No such device' },
    },
  },
};

/** The request body as JSON, or a 400 (the zod schema then says what is wrong with it). */
function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '')
    throw new BadRequestError('invalid body: a JSON object is required');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('invalid body: not JSON');
  }
}

export async function patchDeviceLabelsRoute(
  deps: LabelsDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { id } = parseInput(DevicePathSchema, event.pathParameters, 'path');
  const patch = parseInput(PatchDeviceLabelsSchema, jsonBody(event), 'body');
  const item = await patchDeviceLabels(deps, id, patch);
  return json(toView(item, Date.now(), offlineGraceMs()));
}
