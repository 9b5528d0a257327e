// What the bridge already knows about rooms and users on the Matrix side, so that sending as a ghost does not cost a
// join, a registration or a profile update on the wire each time. The event pipeline keeps it current from incoming
// m.room.member events; intents update it from their own successful requests.
//
// Everything here is a hint that may be stale or forgotten: a wrong "joined" costs one failed request that the intent
// recovers from, a forgotten entry costs one idempotent request. So every part is bounded and evicts least recently
// used entries instead of growing with the number of rooms and users the bridge has ever seen.

import { type MxcUri, parseMxcUri, type RoomId, type UserId } from "../ids.ts";
import { LruMap } from "./lru-map.ts";

export type Membership = "join" | "invite" | "leave" | "ban" | "knock";

/** A user's global profile as far as it is known; an absent field is unknown, not empty. */
export interface Profile {
  displayName?: string;
  avatarUrl?: MxcUri;
}

export interface MembershipCacheOptions {
  /** Rooms whose membership is kept; default 10 000. */
  maxRooms?: number;
  /** Users whose profile is kept; default 50 000. */
  maxProfiles?: number;
  /** Users remembered as registered; default 100 000. */
  maxRegisteredUsers?: number;
}

export class MembershipCache {
  private readonly rooms: LruMap<RoomId, Map<UserId, Membership>>;
  private readonly profiles: LruMap<UserId, Profile>;
  private readonly registered: LruMap<UserId, true>;

  constructor(opts: MembershipCacheOptions = {}) {
    this.rooms = new LruMap(opts.maxRooms ?? 10_000);
    this.profiles = new LruMap(opts.maxProfiles ?? 50_000);
    this.registered = new LruMap(opts.maxRegisteredUsers ?? 100_000);
  }

  noteMembership(roomId: RoomId, userId: UserId, membership: Membership): void {
    let members = this.rooms.get(roomId);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(roomId, members);
    }
    // Only joined and invited users matter for deciding what to send; keeping the rest would let rooms with a long
    // history of departed users grow without bound.
    if (membership === "join" || membership === "invite") members.set(userId, membership);
    else members.delete(userId);
  }

  /** Replaces what is known about who is joined with an authoritative list (from /joined_members). */
  noteJoinedMembers(roomId: RoomId, userIds: Iterable<UserId>): void {
    const members = new Map<UserId, Membership>();
    for (const [userId, membership] of this.rooms.get(roomId) ?? []) {
      if (membership === "invite") members.set(userId, membership);
    }
    for (const userId of userIds) members.set(userId, "join");
    this.rooms.set(roomId, members);
  }

  /** The user's membership if known to be joined or invited; undefined means left, banned or unknown. */
  membership(roomId: RoomId, userId: UserId): Membership | undefined {
    return this.rooms.get(roomId)?.get(userId);
  }

  isJoined(roomId: RoomId, userId: UserId): boolean {
    return this.membership(roomId, userId) === "join";
  }

  forgetRoom(roomId: RoomId): void {
    this.rooms.delete(roomId);
  }

  profile(userId: UserId): Profile | undefined {
    return this.profiles.get(userId);
  }

  /** Merges `profile` into what is known; pass a field as undefined to leave it alone. */
  noteProfile(userId: UserId, profile: Profile): void {
    const known = this.profiles.get(userId) ?? {};
    const merged: Profile = { ...known };
    if (profile.displayName !== undefined) merged.displayName = profile.displayName;
    if (profile.avatarUrl !== undefined) merged.avatarUrl = profile.avatarUrl;
    this.profiles.set(userId, merged);
  }

  isRegistered(userId: UserId): boolean {
    return this.registered.get(userId) === true;
  }

  noteRegistered(userId: UserId): void {
    this.registered.set(userId, true);
  }
}

/** A profile as the homeserver answers it; a malformed avatar counts as none. */
export function toProfile(displayName: unknown, avatarUrl: unknown): Profile {
  const profile: Profile = {};
  if (typeof displayName === "string") profile.displayName = displayName;
  if (typeof avatarUrl === "string") {
    try {
      profile.avatarUrl = parseMxcUri(avatarUrl);
    } catch {
      // A malformed avatar is treated as none rather than failing the whole lookup.
    }
  }
  return profile;
}
