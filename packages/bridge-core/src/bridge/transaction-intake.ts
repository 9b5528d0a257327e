// A transaction from the homeserver, once its body is checked: its events written to the inbox (the 200 waits for
// that), counted, and handed on in their order — or held while the bridge is still starting (bridge.ts). A replay of
// one already accepted is answered without handling anything again. When handling has fallen behind by more than the
// bound, the answer waits (pipeline/backpressure.ts), so the homeserver sends more slowly instead of the backlog
// growing without end.

import type { TransactionId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { BridgeMetrics } from "../observability/metrics.ts";
import { awaitBacklogBelow } from "../pipeline/backpressure.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import type { BridgeStore, InboxEntry, NewInboxItem } from "../store/store.ts";
import type { MatrixEventHandler } from "./matrix-events.ts";

export interface TransactionIntakeDeps {
  store: BridgeStore;
  /** Absent while the bridge is still starting. */
  matrixEvents: MatrixEventHandler | undefined;
  metrics: BridgeMetrics | undefined;
  logger: Logger;
  queue: KeyedQueue;
  /** How many events may wait for handling before answers are held back (`appservice.max_backlog`). */
  maxBacklog: number;
  stopping: AbortSignal;
  /** Takes the accepted entries on, in their order. */
  deliver(entries: InboxEntry[]): void;
}

export async function takeTransaction(
  deps: TransactionIntakeDeps,
  txnId: TransactionId,
  items: NewInboxItem[],
): Promise<void> {
  const { store, metrics, logger } = deps;
  const accepted = await store.acceptTransaction(txnId, items);
  deps.matrixEvents?.noteTransaction(accepted === null, accepted?.entries ?? []);
  if (accepted === null) {
    metrics?.transactionReplayed();
    logger.debug("transaction replayed; already accepted", { txnId });
    return;
  }
  const { entries, alreadyAccepted, reusedId } = accepted;
  if (reusedId) {
    logger.info("transaction id reused with other events; taking it as a new transaction", {
      txnId,
      events: items.length,
      alreadyAccepted,
    });
  }
  const counts: Partial<Record<InboxEntry["kind"], number>> = {};
  for (const entry of entries) counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
  metrics?.transactionAccepted(counts, reusedId);
  logger.debug("transaction accepted", { txnId, events: entries.length });
  deps.deliver(entries);
  const heldMs = await awaitBacklogBelow(deps.queue, deps.maxBacklog, deps.stopping);
  if (heldMs > 0) logger.debug("answer held back for the backlog", { txnId, heldMs });
}
