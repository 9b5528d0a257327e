// A MUC reflects every message back to its sender, stamped with the room's stanza-id, or answers with an error
// (not allowed to speak, not in the room). Waiting for that turns a groupchat send into a delivery with the id every
// occupant sees, or into a refusal the Matrix user is told about.

import { PermanentDeliveryError } from "bridge-core";
import type { IncomingMessage } from "./incoming-stanzas.ts";
import { fullJid } from "./jid.ts";
import { describeStanzaError } from "./stanza-errors.ts";

interface Waiter {
  resolve: (stanzaId: string | undefined) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Reflections {
  private readonly waiters = new Map<string, Waiter>();

  /**
   * Resolves with the room's stanza-id for the message `id` that `localJid` sent (undefined when the room stamps
   * none, or does not answer within `timeoutMs`: the message went out, only its id is unknown).
   */
  expect(localJid: string, id: string, timeoutMs: number): Promise<string | undefined> {
    const key = `${localJid} ${id}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
    });
  }

  /** Settles the wait a message answers; true when it was a reflection or an error for one of ours. */
  handle(message: IncomingMessage): boolean {
    if (message.id === undefined) return false;
    const key = `${fullJid(message.to)} ${message.id}`;
    const waiter = this.waiters.get(key);
    if (waiter === undefined) return false;
    clearTimeout(waiter.timer);
    this.waiters.delete(key);
    if (message.kind === "error") {
      waiter.reject(
        new PermanentDeliveryError(`the room refused the message: ${describeStanzaError(message.error)}`),
      );
    } else {
      waiter.resolve(message.stanzaId);
    }
    return true;
  }

  cancelAll(): void {
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    this.waiters.clear();
  }
}
