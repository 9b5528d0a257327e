// Room display names of Matrix users, for relayed messages and quotes. Kept from the member events the bridge sees,
// read from the room's state on a miss. Every name handed out is sanitised (relay-text.ts): anyone can set any
// display name, line breaks and controls included, and it ends up inside text other people read as the bridge's.

import { localpartOf, type RoomId, type UserId } from "../ids.ts";
import type { Intent } from "../matrix/intent.ts";
import { LruMap } from "../matrix/lru-map.ts";
import { sanitizeDisplayName } from "./relay-text.ts";

const MAX_ENTRIES = 50_000;

export class DisplayNames {
  private readonly names = new LruMap<string, string>(MAX_ENTRIES);
  private readonly bot: Intent;

  constructor(bot: Intent) {
    this.bot = bot;
  }

  note(roomId: RoomId, userId: UserId, displayName: string | undefined): void {
    const key = roomId + "\u0000" + userId;
    if (displayName) this.names.set(key, sanitizeDisplayName(displayName, localpartOf(userId)));
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
      typeof member?.displayname === "string"
        ? sanitizeDisplayName(member.displayname, localpartOf(userId))
        : localpartOf(userId);
    this.names.set(key, name);
    return name;
  }
}
