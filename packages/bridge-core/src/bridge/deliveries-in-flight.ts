// Matrix messages on their way to the network, per remote room. The network can answer about such a message (a read
// marker, a reaction, a correction) before its send has returned and its id is mapped: a client that marks messages
// read as they arrive does it within milliseconds. Those answers wait for the room's deliveries in flight to end,
// instead of finding no message and being dropped.

import type { RemoteRoomId } from "../ids.ts";

export class DeliveriesInFlight {
  private readonly rooms = new Map<RemoteRoomId, Set<Promise<unknown>>>();

  /** Runs `delivery`, counting it as in flight for the room until it ends. */
  async track<T>(roomId: RemoteRoomId, delivery: () => Promise<T>): Promise<T> {
    let deliveries = this.rooms.get(roomId);
    if (deliveries === undefined) {
      deliveries = new Set();
      this.rooms.set(roomId, deliveries);
    }
    const running = delivery();
    deliveries.add(running);
    try {
      return await running;
    } finally {
      deliveries.delete(running);
      if (deliveries.size === 0) this.rooms.delete(roomId);
    }
  }

  /** Resolves once the room's deliveries in flight now have ended, or after `timeoutMs`; false if none were. */
  async settled(roomId: RemoteRoomId, timeoutMs: number): Promise<boolean> {
    const deliveries = this.rooms.get(roomId);
    if (deliveries === undefined || deliveries.size === 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...deliveries]), timeout]);
    clearTimeout(timer);
    return true;
  }
}
