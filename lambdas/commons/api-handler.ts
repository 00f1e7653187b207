/**
 * One operator-API function's handler from its route table: @middy/http-router dispatches on method
 * and path, behind the middleware every API function wears (Powertools, request-body limit, the one
 * error-to-HTTP mapping). Each API feature is its own function with its own role; the route table is
 * typed from that function's wiring, so a declared route without a handler does not compile.
 */
import httpRouterHandler, { type Method } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { NotFoundError } from './errors.ts';
import { bodyLimit, httpErrors } from './http.ts';
import { withPowertools } from './middleware.ts';
import { metrics } from './powertools.ts';

export type RouteHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

export function apiHandler<RouteKey extends string>(routes: Readonly<Record<RouteKey, RouteHandler>>) {
  const router = httpRouterHandler<Event, Result>({
    routes: (Object.entries(routes) as Array<[string, RouteHandler]>).map(([routeKey, handle]) => {
      const [method, path] = routeKey.split(' ');
      if (method === undefined || path === undefined) throw new Error(`malformed route '${routeKey}'`);
      return {
        method: method as Method,
        path,
        handler: (event: Event) => {
          metrics.addMetric('ApiRequest', 'Count', 1);
          return handle(event);
        },
      };
    }),
    // API Gateway only sends this function its own routes; anything else is a wiring mismatch.
    notFoundResponse: ({ method, path }) => {
      throw new NotFoundError(`no route ${method} ${path}`);
    },
  });
  return withPowertools(
    (event: Event, context: Context) => router(event, context) as unknown as Promise<Result>,
  )
    .use(httpErrors())
    .use(bodyLimit());
}
