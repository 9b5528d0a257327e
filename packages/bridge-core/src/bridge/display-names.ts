// Room display names of Matrix users, for relayed messages and quotes. Kept from the member events the bridge sees,
// read from the room's state on a miss.

import { localpartOf, type RoomId, type UserId } from "../ids.ts";
import type { Intent } from "../matrix/intent.ts";
import { LruMap } from "../matrix/lru-map.ts";

const MAX_ENTRIES = 50_000;

export class DisplayNames {
  private readonly names = new LruMap<string, string>(MAX_ENTRIES);
  private readonly bot: Intent;

  constructor(bot: Intent) {
    this.bot = bot;
  }

  note(roomId: RoomId, userId: UserId, displayName: string | undefined): void {
    const key = roomId + "\u0000" + userId;
    if (displayName) this.names.set(key, displayName);
    else this.names.delete(key);
  }

  async of(roomId: RoomId, userId: UserId): Promise<string> {
    const key = roomId + "\u0000" + userId;
    const known = this.names.get(key);
    if (known !== undefined) return known;
    const member = await this.bot
      .getState<{ displayname?: unknown }>(roomId, "m.room.member", userId)
      .catch(() => null);
    const name =
      typeof member?.displayname === "string" && member.displayname !== ""
        ? member.displayname
        : localpartOf(userId);
    this.names.set(key, name);
    return name;
  }
}
