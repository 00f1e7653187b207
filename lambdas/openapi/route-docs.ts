/**
 * Every API feature's route docs, by the wiring name of its function: registering a feature is one
 * line here. The type requires an entry for every function with an `api` trigger, with exactly its
 * routes, so an undocumented route does not compile (and test/unit/openapi.test.ts checks it again).
 */
import type { RouteDocs } from '#protocol/api/route-doc.ts';
import type { FunctionName, functions } from '#wiring/fleet.ts';
import { commandsReadRouteDocs, commandsRouteDocs } from '../api/commands.ts';
import { deviceLabelsRouteDocs } from '../api/device-labels.ts';
import { devicesRouteDocs } from '../api/devices.ts';
import { inventoryRouteDocs } from '../api/inventory.ts';
import { openapiRouteDocs } from '../api/openapi.ts';
import { policiesRouteDocs } from '../api/policies.ts';
import { sessionsRouteDocs } from '../api/sessions.ts';

type Fns = typeof functions;
type ApiFunctionName = {
  [F in FunctionName]: Fns[F]['trigger'] extends { readonly kind: 'api' } ? F : never;
}[FunctionName];
type RoutesOf<F extends ApiFunctionName> = Fns[F]['trigger'] extends {
  readonly routes: readonly (infer R extends string)[];
}
  ? R
  : never;

export const apiRouteDocs = {
  devicesApi: devicesRouteDocs,
  inventoryApi: inventoryRouteDocs,
  sessionsApi: sessionsRouteDocs,
  openapiApi: openapiRouteDocs,
  policiesApi: policiesRouteDocs,
  deviceLabelsApi: deviceLabelsRouteDocs,
  commandsApi: commandsRouteDocs,
  commandsReadApi: commandsReadRouteDocs,
} satisfies { readonly [F in ApiFunctionName]: RouteDocs<RoutesOf<F>> };
