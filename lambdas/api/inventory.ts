// TEMPORARY until lambdas/inventory/ lands in this session: replaced by the real routes.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { json } from '../commons/http.ts';

export async function getInventoryRoute(
  _deps: unknown,
  _event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  return json({ message: 'not implemented yet' }, 501);
}
export async function listInventoryChangesRoute(
  _deps: unknown,
  _event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  return json({ message: 'not implemented yet' }, 501);
}
