// Where each accepted Matrix entry goes: room events into their room's one ordered queue (events without a room share
// one), to-device events and device changes to the encryption devices. An entry is marked done in the inbox only once
// handled; one cut short by a stop stays there, to be handled at the next start.

import type { BridgeCrypto } from "../crypto/bridge-crypto.ts";
import type { Logger } from "../log.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import type { BridgeStore, InboxEntry } from "../store/store.ts";
import { completeHandling, type HandlingOutcome } from "./matrix-events.ts";

/** Events without a room (presence) still need an order; they share one queue. */
const NO_ROOM_KEY = "no-room";

export interface InboxDispatchDeps {
  queue: KeyedQueue;
  handle(entry: InboxEntry): Promise<HandlingOutcome>;
  crypto(): BridgeCrypto | null;
  store(): BridgeStore;
  /** Aborted when the bridge stops. */
  stopping: AbortSignal;
  logger(): Logger;
}

export class InboxDispatch {
  private readonly deps: InboxDispatchDeps;

  constructor(deps: InboxDispatchDeps) {
    this.deps = deps;
  }

  dispatch(entry: InboxEntry): void {
    if (entry.kind === "to_device" || entry.kind === "device_changes") {
      this.toCrypto(entry);
      return;
    }
    const roomId = entry.event["room_id"];
    const key = typeof roomId === "string" ? roomId : NO_ROOM_KEY;
    void this.deps.queue.run(key, async () => {
      let outcome: HandlingOutcome | undefined;
      try {
        outcome = await this.deps.handle(entry);
      } catch (err) {
        // Stopped mid-way: the entry stays in the inbox and is handled again at the next start.
        if (this.deps.stopping.aborted) return;
        this.deps.logger().error("event handling failed", { seq: entry.seq, type: entry.event.type, err });
      }
      // The room's next event starts once this one's mappings and completion are on disk, written together.
      await completeHandling(this.deps.store(), entry.seq, outcome);
    });
  }

  /**
   * To-device events and device changes go to the encryption devices (or nowhere, without encryption), each under
   * a key of its own so that those of one transaction reach the engines together; done once the engines saved them.
   */
  private toCrypto(entry: InboxEntry): void {
    void this.deps.queue.run(`crypto:${entry.seq}`, async () => {
      try {
        await this.deps.crypto()?.receive(entry);
      } catch (err) {
        // Left in the inbox, to be given to the engines again at the next start.
        if (!this.deps.stopping.aborted)
          this.deps
            .logger()
            .error("encryption devices could not take to-device events", { seq: entry.seq, err });
        return;
      }
      await this.deps.store().completeInbox(entry.seq);
    });
  }
}
