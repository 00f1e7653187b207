/** Least privilege follows the feature: what the policy functions and the heartbeat reaction may touch. */
import { describe, expect, it } from 'vitest';
import { functions } from '#wiring/fleet.ts';
import { policyHeartbeatReaction } from '#wiring/policies.ts';

describe('policies wiring', () => {
  it('lets the policies API read the devices table, never write it, and never publish', () => {
    const { access } = functions.policiesApi;
    expect(access.tables).toEqual({ policies: 'readWrite', devices: 'read' });
    expect('iotPublish' in access).toBe(false);
    expect('queues' in access).toBe(false);
  });

  it('lets the policy request handler read devices, publish, and dead-letter what it refuses', () => {
    expect(functions.policyRequests.access).toEqual({
      tables: { policies: 'readWrite', devices: 'read' },
      queues: { ingestDeadLetter: 'send' },
      iotPublish: true,
    });
    expect(functions.policyRequests.trigger).toEqual({
      kind: 'topic-rule',
      ruleName: 'fleetpulse_policy_request',
      topicFilter: 'dt/fleet/+/policy/request',
    });
  });

  it("grants the heartbeat function the policy reaction's access", () => {
    const { access } = functions.heartbeat;
    expect(access.tables).toMatchObject({ policies: 'readWrite', devices: 'readWrite' });
    expect(access.iotPublish).toBe(true);
    expect(policyHeartbeatReaction.access.tables.devices).toBe('read');
  });
});
