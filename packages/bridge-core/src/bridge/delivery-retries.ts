// Running one Matrix → remote delivery: passing trouble (the network briefly unreachable) is retried with growing
// pauses, holding the room's later events back so their order is kept; a refusal, or trouble that outlasts the
// retries, is counted and told to the sender in the room — never dropped silently.

import { setTimeout as sleep } from "node:timers/promises";
import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { type NetworkPlugin, PermanentDeliveryError } from "../network.ts";
import type { RoomLink } from "../store/store.ts";

export interface RetryDeps {
  network: NetworkPlugin;
  /** Aborted when the bridge stops. */
  stopping: AbortSignal;
  /** Pauses before each retry; their number is the number of retries. */
  retryDelaysMs: readonly number[];
  logger: Logger;
  onBridged: (type: string, receivedAt: number) => void;
  onFailed: (type: string) => void;
}

export interface DeliveryAttempt {
  link: RoomLink;
  sender: UserId;
  type: string;
  receivedAt: number;
  run: (retrying: boolean) => Promise<void>;
  /** Resumed after a restart: even the first attempt may have reached the network. */
  resumed: boolean;
}

export async function deliverWithRetries(
  deps: RetryDeps,
  attempt: DeliveryAttempt,
  tell: (text: string) => Promise<void>,
): Promise<void> {
  const { link, sender, type, receivedAt, run, resumed } = attempt;
  for (let n = 0; ; n++) {
    try {
      await run(resumed || n > 0);
      deps.onBridged(type, receivedAt);
      return;
    } catch (err) {
      const delay = deps.retryDelaysMs[n];
      if (!(err instanceof PermanentDeliveryError) && delay !== undefined) {
        deps.logger.info("delivery to the network failed; trying again", {
          roomId: link.roomId,
          type,
          attempt: n,
          err,
        });
        // A bridge that is stopping leaves the event in its inbox for the next start instead of waiting on.
        await sleep(delay, undefined, { signal: deps.stopping });
        continue;
      }
      deps.onFailed(type);
      deps.logger.warn("not delivered to the network", { roomId: link.roomId, sender, type, err });
      const reason = err instanceof Error ? err.message : String(err);
      await tell(
        `⚠ ${sender}: your message could not be delivered to ${deps.network.info.displayName}: ${reason}`,
      );
      return;
    }
  }
}
