/**
 * Canceling a command: its status first (the fan-out stops expanding and the dispatcher stops
 * delivering as soon as they read it), then every non-terminal outcome, page by page, by sweep
 * messages on the fan-out queue. Canceling again is a no-op; a completed command is a conflict.
 */
import { ConflictError, NotFoundError } from '../commons/errors.ts';
import type { MetaItem } from './items.ts';
import { sendOne } from './messages.ts';
import { type CommandsDeps, getMeta, setStatus } from './store.ts';

export async function cancelCommand(
  deps: CommandsDeps & { readonly now: () => number },
  commandId: string,
  reason: string,
): Promise<MetaItem> {
  const moved = await setStatus(
    deps,
    commandId,
    ['fanning-out', 'in-progress'],
    'canceled',
    reason,
    deps.now(),
  );
  const meta = await getMeta(deps, commandId);
  if (meta === undefined) throw new NotFoundError(`command ${commandId} does not exist`);
  if (!moved && meta.status === 'completed') {
    throw new ConflictError(`command ${commandId} is already completed: every device reached a final state`);
  }
  // Also when already canceled: a sweep that died is started again, and sweeps are idempotent.
  await sendOne(deps, 'commandFanout', { kind: 'sweep', commandId });
  return meta;
}
