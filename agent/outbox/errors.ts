/** The outbox's named errors: callers tell them apart by class (or `name`, across realms). */
export class OutboxError extends Error {
  override readonly name: string = 'OutboxError';
}

/**
 * The inventory backlog passed its bound: the queued (not in-flight) inventory reports were removed,
 * and this message was not queued either. The inventory module answers with one full report at once;
 * the cloud accepts a full report at any sequence.
 */
export class InventoryBacklogCollapsed extends OutboxError {
  override readonly name = 'InventoryBacklogCollapsed';
  constructor(readonly removed: number) {
    super(`the ${removed} queued inventory report(s) were replaced by a resync: publish a full report`);
  }
}

/** A class that is never dropped (command results) reached its bound: the new message is refused. */
export class OutboxClassFull extends OutboxError {
  override readonly name = 'OutboxClassFull';
}
