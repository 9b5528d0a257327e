// Room display names and avatars of Matrix users, for relayed messages, quotes and the pictures networks show beside
// a relayed sender (a Discord webhook's avatar). Kept from the member events the bridge sees, read from the room's
// state on a miss. Every name handed out is sanitised (relay-text.ts): anyone can set any display name, line breaks
// and controls included, and it ends up inside text other people read as the bridge's.

import { localpartOf, type MxcUri, parseMxcUri, type RoomId, type UserId } from "../ids.ts";
import type { Intent } from "../matrix/intent.ts";
import { LruMap } from "../matrix/lru-map.ts";
import { sanitizeDisplayName } from "./relay-text.ts";

const MAX_ENTRIES = 50_000;

interface MemberLook {
  name: string;
  avatar?: MxcUri;
}

export class DisplayNames {
  private readonly members = new LruMap<string, MemberLook>(MAX_ENTRIES);
  private readonly bot: Intent;

  constructor(bot: Intent) {
    this.bot = bot;
  }

  /** A member event's content (`undefined` once they left): the name and avatar it gives them in the room. */
  note(roomId: RoomId, userId: UserId, member: Record<string, unknown> | undefined): void {
    const key = roomId + "\u0000" + userId;
    if (member === undefined) this.members.delete(key);
    else this.members.set(key, lookOf(userId, member));
  }

  async of(roomId: RoomId, userId: UserId): Promise<string> {
    return (await this.look(roomId, userId)).name;
  }

  /** The user's avatar in the room (the member event carries their global one unless they set one for the room). */
  async avatarOf(roomId: RoomId, userId: UserId): Promise<MxcUri | undefined> {
    return (await this.look(roomId, userId)).avatar;
  }

  private async look(roomId: RoomId, userId: UserId): Promise<MemberLook> {
    const key = roomId + "\u0000" + userId;
    const known = this.members.get(key);
    if (known !== undefined) return known;
    const member = await this.bot
      .getState<Record<string, unknown>>(roomId, "m.room.member", userId)
      .catch(() => null);
    const look = lookOf(userId, member ?? {});
    this.members.set(key, look);
    return look;
  }
}

function lookOf(userId: UserId, member: Record<string, unknown>): MemberLook {
  const { displayname, avatar_url: avatarUrl } = member;
  const name =
    typeof displayname === "string" && displayname !== ""
      ? sanitizeDisplayName(displayname, localpartOf(userId))
      : localpartOf(userId);
  let avatar: MxcUri | undefined;
  try {
    avatar = parseMxcUri(avatarUrl);
  } catch {
    // No avatar, or not one the media proxy can serve.
  }
  return avatar === undefined ? { name } : { name, avatar };
}
