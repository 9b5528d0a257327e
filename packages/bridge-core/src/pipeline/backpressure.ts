// Backpressure towards the homeserver. Accepting a transaction (a store write) is far cheaper than handling its
// events, so a homeserver sending as fast as it is answered builds a backlog without bound, and every event waits
// behind it. Once more than a bound of work is queued, the answer to a transaction waits until the queue is back
// below it: the homeserver sends one transaction at a time per application service, so it sends the next one later.
// A late answer is what slows Synapse down gently: it waits up to 60 s for one, while any error status (429 or 503
// with M_LIMIT_EXCEEDED as well) marks the service down, stops sending for at least 2 s (then 4, 8, … up to 512 s,
// ignoring Retry-After) and drops the ephemeral events (typing, receipts, presence) of that time. The events are
// accepted, and on disk, before the wait, so a homeserver that gives up on the answer and retries changes nothing.

import type { KeyedQueue } from "./keyed-queue.ts";

/**
 * Events queued or being handled before transactions are answered later; `appservice.max_backlog`. Five full
 * transactions: enough that handling never runs dry while the homeserver sends the next one, and a burst waits
 * behind at most that many events' handling.
 */
export const DEFAULT_MAX_BACKLOG = 500;
/** The longest an answer waits, well within the 60 s after which Synapse takes the request as failed. */
export const MAX_ANSWER_DELAY_MS = 20_000;

/**
 * Resolves once `queue` holds at most `bound` tasks, or after `maxMs`, or when `signal` aborts (the bridge stopping:
 * the answer goes out and the queue drains). Resolves with how long it waited, in milliseconds.
 */
export async function awaitBacklogBelow(
  queue: KeyedQueue,
  bound: number,
  signal: AbortSignal,
  maxMs = MAX_ANSWER_DELAY_MS,
): Promise<number> {
  if (queue.depth <= bound || signal.aborted) return 0;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const givenUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, maxMs);
    onAbort = resolve;
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([queue.shorterThan(bound + 1), givenUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
  return performance.now() - started;
}
