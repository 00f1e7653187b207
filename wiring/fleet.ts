/**
 * The one declaration of the fleet: every feature's functions, triggers, resources, access and
 * settings, composed. Read by lib/ (CDK) and local/ (the local cloud), so the two cannot drift.
 * A new feature is a wiring/<feature>.ts file and one line here.
 */
import { analyzer } from './analyzer.ts';
import { commands } from './commands.ts';
import { devices } from './devices.ts';
import { devicesApi } from './devices-api.ts';
import { compose } from './feature.ts';
import type { SettingSpec } from './functions.ts';
import { heartbeat } from './heartbeat.ts';
import { ingest } from './ingest.ts';
import { inventory } from './inventory.ts';
import { inventoryApi } from './inventory-api.ts';
import { openapiApi } from './openapi.ts';

import { policies } from './policies.ts';
import { presence } from './presence.ts';
import { sessionsApi } from './sessions-api.ts';
import { targets } from './targets.ts';

export const fleet = compose([
  ingest,
  devices,
  targets,
  presence,
  heartbeat,
  inventory,
  analyzer,
  devicesApi,
  inventoryApi,
  sessionsApi,
  openapiApi,
  policies,
  commands,
]);

export const { functions, tables, buckets, queues } = fleet;

export type FunctionName = keyof typeof functions;
export type TableName = keyof typeof tables;
export type BucketName = keyof typeof buckets;
export type QueueName = keyof typeof queues;

/** Every setting some function declares, once (the composition checks their defaults agree). */
export const settings: readonly SettingSpec[] = [
  ...new Map(
    Object.values(functions)
      .flatMap((spec) => ('settings' in spec ? spec.settings : []))
      .map((setting) => [setting.name, setting] as const),
  ).values(),
];

type OperatorDlq = {
  [Q in QueueName]: (typeof queues)[Q] extends { readonly operatorName: infer N extends string } ? N : never;
}[QueueName];

/** The dead-letter queues operator tools list, by the name operators type, with their wiring queue. */
export const operatorDeadLetterQueues = Object.fromEntries(
  Object.entries(queues).flatMap(([name, spec]) =>
    'operatorName' in spec ? [[spec.operatorName, name as QueueName]] : [],
  ),
) as Record<OperatorDlq, QueueName>;
