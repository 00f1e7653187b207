/** Every kind, by entry. A new kind is a new line in its entry's file. */
import { analyzerKinds } from './analyzer-kinds.ts';
import { apiKinds } from './api-kinds.ts';
import { cliKinds } from './cli-kinds.ts';
import { commandApiKinds } from './command-api-kinds.ts';
import { commandMqttKinds } from './command-mqtt-kinds.ts';
import { faultKinds } from './fault-kinds.ts';
import type { Kind } from './kind.ts';
import { mqttKinds } from './mqtt-kinds.ts';

export const allKinds: readonly Kind[] = [
  ...mqttKinds,
  ...analyzerKinds,
  ...commandMqttKinds,
  ...apiKinds,
  ...commandApiKinds,
  ...cliKinds,
  ...faultKinds,
];
export const fastKinds: readonly Kind[] = allKinds.filter((k) => k.fast);
