/**
 * What the OpenAPI document says about one route, declared next to the route's handler from the same
 * zod schemas the handler parses with (no second copy). Every API feature exports one `RouteDocs`
 * for its function's routes; the OpenAPI builder collects them and a test checks that every route of
 * the wiring is documented.
 */
import type * as z from 'zod';

export interface ResponseDoc {
  readonly description: string;
  /** @default - no body */
  readonly schema?: z.ZodType;
  /** The same response may instead be raw bytes (application/octet-stream), chosen by a query parameter. @default false */
  readonly alsoBinary?: boolean;
}

export interface RouteDoc {
  readonly summary: string;
  /** @default - none */
  readonly description?: string;
  /** Path parameters, an object schema. @default - none */
  readonly path?: z.ZodType;
  /** Query string, an object schema. @default - none */
  readonly query?: z.ZodType;
  /** JSON request body. @default - none */
  readonly body?: z.ZodType;
  /** By status code; error statuses share one error schema added by the builder. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
}

/** A function's route docs, keyed by its wiring route keys ("GET /devices/{id}"). */
export type RouteDocs<Route extends string> = Readonly<Record<Route, RouteDoc>>;
