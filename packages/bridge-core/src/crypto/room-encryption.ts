// Which rooms are encrypted. Encryption cannot be turned off in a room,
// so a room known encrypted stays so; one known clear is asked about again only when an m.room.encryption event
// comes through the pipeline (noteEncrypted).

import type { RoomId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { isMatrixError } from "../matrix/errors.ts";
import type { Intent } from "../matrix/intent.ts";
import { LruMap } from "../matrix/lru-map.ts";

const ENCRYPTION_STATE = "m.room.encryption";
const KNOWN_ROOMS = 100_000;

export class RoomEncryption {
  private readonly known = new LruMap<RoomId, boolean>(KNOWN_ROOMS);
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** The room turned encryption on (its m.room.encryption event came through), or was made with it. */
  noteEncrypted(roomId: RoomId): void {
    if (this.known.get(roomId) !== true) this.logger.info("room is end-to-end encrypted", { roomId });
    this.known.set(roomId, true);
  }

  /** Whether the room is encrypted, asked of the homeserver as `as` the first time (after joining, if it must). */
  async isEncrypted(roomId: RoomId, as: Intent): Promise<boolean> {
    const known = this.known.get(roomId);
    if (known !== undefined) return known;
    let state: unknown;
    try {
      state = await as.getState(roomId, ENCRYPTION_STATE, "");
    } catch (err) {
      // Not in the room yet (a ghost's first message): its send would join it anyway.
      if (!isMatrixError(err, "M_FORBIDDEN")) throw err;
      await as.ensureJoined(roomId);
      state = await as.getState(roomId, ENCRYPTION_STATE, "");
    }
    const encrypted = state !== null;
    // A clear answer is not kept for good: the room's own m.room.encryption event updates it (noteEncrypted).
    this.known.set(roomId, encrypted);
    return encrypted;
  }
}
