/** The policies API (wiring/policies.ts): store, assign and show policies. */
import type { functions } from '#wiring/fleet.ts';
import { assignPolicyRoute, getPolicyRoute, listPoliciesRoute, putPolicyRoute } from './api/policies.ts';
import { apiHandler } from './commons/api-handler.ts';
import { policyDeps } from './policies/handler-deps.ts';

type Route = (typeof functions.policiesApi.trigger.routes)[number];

export const handler = apiHandler<Route>({
  'PUT /policies/{id}': (event) => putPolicyRoute(policyDeps(), event),
  'POST /policies/{id}/assign': (event) => assignPolicyRoute(policyDeps(), event),
  'GET /policies/{id}': (event) => getPolicyRoute(policyDeps(), event),
  'GET /policies': () => listPoliciesRoute(policyDeps()),
});
