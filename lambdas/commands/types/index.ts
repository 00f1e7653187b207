/** The command types, one line each (see ./plugin.ts for what a type provides). */
import type { OperatorCommandType } from '#protocol/api/commands.ts';
import { inventoryResyncType } from './inventory-resync.ts';
import { pingType } from './ping.ts';
import type { CommandTypePlugin } from './plugin.ts';
import { policyRefreshType } from './policy-refresh.ts';
import { wakeType } from './wake.ts';

const registered: { readonly [T in OperatorCommandType]?: CommandTypePlugin<T> } = {
  ping: pingType,
  'inventory-resync': inventoryResyncType,
  wake: wakeType,
  'policy-refresh': policyRefreshType,
};

/** The plugin of `type`, or undefined while that type is not available in this build. */
export function commandType(type: OperatorCommandType): CommandTypePlugin | undefined {
  return registered[type] as CommandTypePlugin | undefined;
}

export const availableCommandTypes = (): OperatorCommandType[] =>
  (Object.keys(registered) as OperatorCommandType[]).filter((t) => registered[t] !== undefined);
