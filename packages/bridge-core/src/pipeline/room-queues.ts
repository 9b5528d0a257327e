// The order of work per bridged room. A room has one queue, keyed by its Matrix room id, which both directions go
// through: Matrix events in the order the homeserver sent them, remote events in the order the plugin reported them.
// So an answer from the network about a Matrix message (a reaction, a read marker, a correction) always comes after
// that message's delivery, and finds it mapped.
// A remote event first needs to know its Matrix room, which may not exist yet: finding or making it (and every other
// change of a room's link: plumbing, unlinking, pausing) takes a short turn under the remote room's own key, so that
// two events cannot make two rooms. That turn only puts the event's work into the room's queue; it never waits for
// the work, so a Matrix event's work that needs the link turn (pausing an encrypted room) cannot wait for itself.

import type { RemoteRoomId, RemoteUserId, RoomId } from "../ids.ts";
import type { KeyedQueue } from "./keyed-queue.ts";

/** The key of a remote room's link turn: finding, making, changing or removing the link to its Matrix room. */
export const remoteRoomKey = (id: RemoteRoomId): string => `remote-room:${id}`;

export class RoomQueues {
  private readonly queue: KeyedQueue;

  constructor(queue: KeyedQueue) {
    this.queue = queue;
  }

  /** Runs `task` in the Matrix room's turn, after everything queued for the room before it. */
  room<T>(roomId: RoomId, task: () => Promise<T>): Promise<T> {
    return this.queue.run(roomId, task);
  }

  /** Runs `task` in the remote room's link turn. */
  link<T>(id: RemoteRoomId, task: () => Promise<T>): Promise<T> {
    return this.queue.run(remoteRoomKey(id), task);
  }

  /** Runs `task` in a remote user's turn: what concerns the user and no room (their profile, their presence). */
  user<T>(id: RemoteUserId, task: () => Promise<T>): Promise<T> {
    return this.queue.run(`remote-user:${id}`, task);
  }

  /**
   * Finds (or makes) the Matrix room of a remote room in the link turn, then runs `work` in that room's turn;
   * resolves once the work is done. Events of one remote room reach their Matrix room's queue in the order they came
   * here. Nothing runs when `find` gives null (no room, and none may be made).
   */
  async remote<L extends { roomId: RoomId }>(
    id: RemoteRoomId,
    find: () => Promise<L | null>,
    work: (found: L) => Promise<void>,
  ): Promise<void> {
    const queued = await this.link(id, async () => {
      const found = await find();
      // Wrapped, so that the link turn ends once the work is queued instead of waiting for it.
      return found === null ? null : { done: this.room(found.roomId, () => work(found)) };
    });
    await queued?.done;
  }
}
