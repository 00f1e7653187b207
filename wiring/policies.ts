/**
 * Policies: operator documents (intervals, analyzer, proxies) in numbered versions, assigned to
 * devices, groups or the fleet default; pushed to devices through the heartbeat's answer
 * (`policy-changed`), the agent's `policy/request` and the `policy` command that answers it.
 */
import type { Feature } from './feature.ts';
import type { Contribution, SettingSpec } from './functions.ts';
import { topicRule } from './ingest.ts';

export const policyHeadCacheSetting = {
  name: 'POLICY_HEAD_CACHE_SEC',
  default: '15',
  doc: "Seconds the heartbeat reaction may reuse a policy's latest version it read: a new version reaches devices at most this much later than their next heartbeat.",
} as const satisfies SettingSpec;

/**
 * What the heartbeat handler needs to run the policy reaction: read the device's labels and its
 * assignments, re-stamp a policy a device has overtaken (read-write), publish `policy-changed`.
 */
export const policyHeartbeatReaction = {
  name: 'policy',
  access: { tables: { policies: 'readWrite', devices: 'read' }, iotPublish: true },
  settings: [policyHeadCacheSetting],
} as const satisfies Contribution;

export const policies = {
  name: 'policies',
  tables: {
    /** Versions, heads, assignments and the global version counter (lambdas/policies/store.ts). */
    policies: {
      partitionKey: 'pk',
      sortKey: 'sk',
      envVar: 'POLICIES_TABLE',
      localName: 'fleetpulse-policies',
    },
  },
  functions: {
    policiesApi: {
      entry: 'lambdas/policies-api.ts',
      description: 'Operator API: store, assign and show policies',
      memoryMb: 512,
      timeoutSec: 30,
      trigger: {
        kind: 'api',
        routes: ['PUT /policies/{id}', 'POST /policies/{id}/assign', 'GET /policies/{id}', 'GET /policies'],
      },
      // The devices table only for counts and group membership: never written here.
      access: { tables: { policies: 'readWrite', devices: 'read' } },
    },
    policyRequests: {
      entry: 'lambdas/policy-requests.ts',
      description: "Answers an agent's policy request with its effective policy when newer",
      memoryMb: 256,
      timeoutSec: 10,
      trigger: topicRule('policyRequest'),
      access: {
        tables: { policies: 'readWrite', devices: 'read' },
        queues: { ingestDeadLetter: 'send' },
        iotPublish: true,
      },
    },
  },
} as const satisfies Feature;
