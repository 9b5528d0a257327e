// An Intent acts as one Matrix user — the bridge bot or a ghost — through the application service's client. It keeps
// the wire quiet by consulting the membership cache first, and it repairs the usual reasons a ghost's request fails
// (not registered yet, not in the room, not invited) instead of handing them to the caller.

import { randomUUID } from "node:crypto";
import {
  type EventId,
  isUserId,
  localpartOf,
  type MxcUri,
  parseEventId,
  parseRoomId,
  type RoomAlias,
  type RoomId,
  type UserId,
} from "../ids.ts";
import { type HttpMethod, type MatrixClient, matrixPath, type RequestOptions } from "./client.ts";
import { isMatrixError, mayMeanUnregistered } from "./errors.ts";
import type { EventContent, PowerLevelsContent } from "./event-content.ts";
import { type MembershipCache, type Profile, toProfile } from "./membership-cache.ts";

/**
 * What an intent sends into a room, made ready for it: encrypted when the room is end-to-end encrypted
 * (crypto/bridge-crypto.ts). Without one, everything is sent as it is.
 */
export type EventSealer = (
  as: Intent,
  roomId: RoomId,
  type: string,
  content: EventContent,
) => Promise<{ type: string; content: EventContent }>;

export interface IntentOptions {
  client: MatrixClient;
  cache: MembershipCache;
  userId: UserId;
  /**
   * The bridge bot's intent, which invites this user into rooms it cannot join by itself. Null for the bot itself:
   * the registration's sender exists already, so it is never registered and has nobody to invite it.
   */
  bot: Intent | null;
  /** The sealer in use now: the bridge sets it once encryption is running (IntentFactory.sealer). */
  sealer?: () => EventSealer | null;
}

const DEFAULT_TYPING_TIMEOUT_MS = 30_000;

export class Intent {
  readonly userId: UserId;
  private readonly client: MatrixClient;
  private readonly cache: MembershipCache;
  private readonly bot: Intent | null;
  private readonly sealer: () => EventSealer | null;
  // Concurrent callers (a burst of remote messages for a new ghost) share one registration and one join per room.
  private registering: Promise<void> | undefined;
  private readonly joining = new Map<RoomId, Promise<void>>();

  constructor(opts: IntentOptions) {
    this.userId = opts.userId;
    this.client = opts.client;
    this.cache = opts.cache;
    this.bot = opts.bot;
    this.sealer = opts.sealer ?? (() => null);
    if (this.bot === null) this.cache.noteRegistered(this.userId);
  }

  /** Registers this user with the homeserver unless that already happened in this process. */
  async ensureRegistered(): Promise<void> {
    if (this.isKnownRegistered()) return;
    this.registering ??= this.register().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  /** Makes sure this user is in the room, getting the bot to invite it when it cannot join by itself. */
  async ensureJoined(roomId: RoomId): Promise<void> {
    if (this.cache.isJoined(roomId, this.userId)) return;
    let pending = this.joining.get(roomId);
    if (pending === undefined) {
      pending = this.joinOrGetInvited(roomId).finally(() => this.joining.delete(roomId));
      this.joining.set(roomId, pending);
    }
    return pending;
  }

  // Membership changes are sent as idempotent: repeating one that already took effect either succeeds again or fails
  // harmlessly, and never creates a second event.

  async join(roomIdOrAlias: RoomId | RoomAlias): Promise<RoomId> {
    const path = matrixPath`/_matrix/client/v3/join/${roomIdOrAlias}`;
    const res = await this.asSelf<{ room_id?: unknown }>("POST", path, { body: {}, idempotent: true });
    const roomId = parseRoomId(res.room_id);
    this.cache.noteMembership(roomId, this.userId, "join");
    return roomId;
  }

  async leave(roomId: RoomId, reason?: string): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/leave`;
    await this.asSelf("POST", path, { body: { reason }, idempotent: true });
    this.cache.noteMembership(roomId, this.userId, "leave");
  }

  async invite(roomId: RoomId, userId: UserId): Promise<void> {
    await this.membershipAction(roomId, "invite", { user_id: userId });
    this.cache.noteMembership(roomId, userId, "invite");
  }

  async kick(roomId: RoomId, userId: UserId, reason?: string): Promise<void> {
    await this.membershipAction(roomId, "kick", { user_id: userId, reason });
    this.cache.noteMembership(roomId, userId, "leave");
  }

  async ban(roomId: RoomId, userId: UserId, reason?: string): Promise<void> {
    await this.membershipAction(roomId, "ban", { user_id: userId, reason });
    this.cache.noteMembership(roomId, userId, "ban");
  }

  async unban(roomId: RoomId, userId: UserId, reason?: string): Promise<void> {
    await this.membershipAction(roomId, "unban", { user_id: userId, reason });
    this.cache.noteMembership(roomId, userId, "leave");
  }

  /**
   * Sends a message event. A caller-chosen `txnId` makes the send idempotent on the homeserver: the same txnId from
   * the same user returns the original event instead of a second one, so derive it from the remote message id to make
   * a resend after a crash harmless. Without one, a fresh id is generated (retries inside the client reuse it).
   */
  async sendEvent(roomId: RoomId, type: string, content: EventContent, txnId?: string): Promise<EventId> {
    const sendTxnId = txnId ?? randomUUID();
    const res = await this.inRoom(roomId, async () => {
      const sealer = this.sealer();
      const sent = sealer === null ? { type, content } : await sealer(this, roomId, type, content);
      const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/send/${sent.type}/${sendTxnId}`;
      return this.asSelf<{ event_id?: unknown }>("PUT", path, { body: sent.content });
    });
    return parseEventId(res.event_id);
  }

  sendMessage(roomId: RoomId, content: EventContent, txnId?: string): Promise<EventId> {
    return this.sendEvent(roomId, "m.room.message", content, txnId);
  }

  sendText(roomId: RoomId, body: string, txnId?: string): Promise<EventId> {
    return this.sendMessage(roomId, { msgtype: "m.text", body }, txnId);
  }

  sendNotice(roomId: RoomId, body: string, txnId?: string): Promise<EventId> {
    return this.sendMessage(roomId, { msgtype: "m.notice", body }, txnId);
  }

  react(roomId: RoomId, eventId: EventId, key: string, txnId?: string): Promise<EventId> {
    const content = { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } };
    return this.sendEvent(roomId, "m.reaction", content, txnId);
  }

  async redact(roomId: RoomId, eventId: EventId, reason?: string, txnId?: string): Promise<EventId> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/redact/${eventId}/${txnId ?? randomUUID()}`;
    const res = await this.inRoom(roomId, () =>
      this.asSelf<{ event_id?: unknown }>("PUT", path, { body: { reason } }),
    );
    return parseEventId(res.event_id);
  }

  async sendState(roomId: RoomId, type: string, stateKey: string, content: EventContent): Promise<EventId> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`;
    const res = await this.inRoom(roomId, () =>
      this.asSelf<{ event_id?: unknown }>("PUT", path, { body: content }),
    );
    return parseEventId(res.event_id);
  }

  /** The content of a state event, or null when the room has none of that type and key. */
  async getState<T = EventContent>(roomId: RoomId, type: string, stateKey: string): Promise<T | null> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`;
    try {
      return await this.asSelf<T>("GET", path);
    } catch (err) {
      if (isMatrixError(err, "M_NOT_FOUND")) return null;
      throw err;
    }
  }

  /** One event of a room as this user may see it, or null when it does not exist (or is not visible). */
  async getEvent(roomId: RoomId, eventId: EventId): Promise<Record<string, unknown> | null> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/event/${eventId}`;
    try {
      return await this.asSelf<Record<string, unknown>>("GET", path);
    } catch (err) {
      if (isMatrixError(err, "M_NOT_FOUND")) return null;
      throw err;
    }
  }

  getPowerLevels(roomId: RoomId): Promise<PowerLevelsContent | null> {
    return this.getState<PowerLevelsContent>(roomId, "m.room.power_levels", "");
  }

  async sendTyping(roomId: RoomId, typing: boolean, timeoutMs = DEFAULT_TYPING_TIMEOUT_MS): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/typing/${this.userId}`;
    await this.asSelf("PUT", path, { body: typing ? { typing, timeout: timeoutMs } : { typing } });
  }

  async sendReadReceipt(roomId: RoomId, eventId: EventId): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/receipt/m.read/${eventId}`;
    await this.asSelf("POST", path, { body: {}, idempotent: true });
  }

  /** Sets this user's presence (a ghost showing its remote user's). */
  async setPresence(presence: "online" | "unavailable" | "offline", statusMsg?: string): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/presence/${this.userId}/status`;
    await this.asSelf("PUT", path, {
      body: { presence, ...(statusMsg !== undefined && { status_msg: statusMsg }) },
      idempotent: true,
    });
  }

  /** Sets this user's display name, unless it already has it. */
  async setDisplayName(name: string): Promise<void> {
    if ((await this.ownProfileField("displayName")) === name) return;
    const path = matrixPath`/_matrix/client/v3/profile/${this.userId}/displayname`;
    await this.asSelf("PUT", path, { body: { displayname: name } });
    this.cache.noteProfile(this.userId, { displayName: name });
  }

  /** Sets this user's avatar, unless it already has it. */
  async setAvatarUrl(mxc: MxcUri): Promise<void> {
    if ((await this.ownProfileField("avatarUrl")) === mxc) return;
    const path = matrixPath`/_matrix/client/v3/profile/${this.userId}/avatar_url`;
    await this.asSelf("PUT", path, { body: { avatar_url: mxc } });
    this.cache.noteProfile(this.userId, { avatarUrl: mxc });
  }

  /** Any user's global profile, fetched from the homeserver and remembered. */
  async getProfile(userId: UserId): Promise<Profile> {
    const path = matrixPath`/_matrix/client/v3/profile/${userId}`;
    const res = await this.asSelf<{ displayname?: unknown; avatar_url?: unknown }>("GET", path);
    const profile = toProfile(res.displayname, res.avatar_url);
    this.cache.noteProfile(userId, profile);
    return profile;
  }

  /** Creates a room with the given /createRoom body; this user is its creator. */
  async createRoom(options: Record<string, unknown>): Promise<RoomId> {
    // Not idempotent: a retry after an unanswered request could create a second room.
    const res = await this.asSelf<{ room_id?: unknown }>("POST", "/_matrix/client/v3/createRoom", {
      body: options,
    });
    const roomId = parseRoomId(res.room_id);
    this.cache.noteMembership(roomId, this.userId, "join");
    const invited = Array.isArray(options["invite"]) ? options["invite"] : [];
    for (const userId of invited) if (isUserId(userId)) this.cache.noteMembership(roomId, userId, "invite");
    return roomId;
  }

  /** Points `alias` at `roomId` in the room directory. */
  async putAlias(alias: RoomAlias, roomId: RoomId): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/directory/room/${alias}`;
    await this.asSelf("PUT", path, { body: { room_id: roomId } });
  }

  /** Removes `alias` from the room directory (a deleted portal's alias must lead to a new portal, not the old room). */
  async deleteAlias(alias: RoomAlias): Promise<void> {
    await this.asSelf("DELETE", matrixPath`/_matrix/client/v3/directory/room/${alias}`);
  }

  /** Lists the room in the public room directory (`public`) or takes it out (`private`); needs moderator power. */
  async setDirectoryVisibility(roomId: RoomId, visibility: "public" | "private"): Promise<void> {
    await this.asSelf("PUT", matrixPath`/_matrix/client/v3/directory/list/room/${roomId}`, {
      body: { visibility },
    });
  }

  /**
   * Lists the room in the directory under the application service's network (`/publicRooms` with the protocol's
   * `third_party_instance_id`), which is where Element's "Explore rooms → network" looks.
   */
  async setNetworkDirectoryVisibility(
    networkId: string,
    roomId: RoomId,
    visibility: "public" | "private",
  ): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/directory/list/appservice/${networkId}/${roomId}`;
    await this.asSelf("PUT", path, { body: { visibility } });
  }

  /** Who is joined to the room, with their profile in that room; also refreshes the cache's view of the room. */
  async joinedMembers(roomId: RoomId): Promise<Map<UserId, Profile>> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/joined_members`;
    type Joined = Record<string, { display_name?: unknown; avatar_url?: unknown } | undefined>;
    const res = await this.asSelf<{ joined?: Joined }>("GET", path);
    const members = new Map<UserId, Profile>();
    for (const [userId, member] of Object.entries(res.joined ?? {})) {
      if (isUserId(userId)) members.set(userId, toProfile(member?.display_name, member?.avatar_url));
    }
    this.cache.noteJoinedMembers(roomId, members.keys());
    return members;
  }

  /** The room's joined and invited members (whom a message sent now must reach). */
  async currentMembers(roomId: RoomId): Promise<UserId[]> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/members`;
    type Member = { state_key?: unknown; content?: { membership?: unknown } };
    const res = await this.asSelf<{ chunk?: Member[] }>("GET", path, { query: { not_membership: "leave" } });
    const members: UserId[] = [];
    for (const event of res.chunk ?? []) {
      const membership = event.content?.membership;
      if (isUserId(event.state_key) && (membership === "join" || membership === "invite"))
        members.push(event.state_key);
    }
    return members;
  }

  private isKnownRegistered(): boolean {
    return this.bot === null || this.cache.isRegistered(this.userId);
  }

  private async register(): Promise<void> {
    try {
      // Authenticated by the as_token alone: user_id must not be asserted for a user that may not exist yet.
      await this.client.request("POST", "/_matrix/client/v3/register", {
        body: {
          type: "m.login.application_service",
          username: localpartOf(this.userId),
          inhibit_login: true,
        },
        // A repeat after a lost response answers M_USER_IN_USE, which counts as success.
        idempotent: true,
      });
    } catch (err) {
      if (!isMatrixError(err, "M_USER_IN_USE")) throw err;
    }
    this.cache.noteRegistered(this.userId);
  }

  /**
   * A request as this user. Registering every ghost up front would cost a request per ghost after each restart, so a
   * user not yet known to be registered is tried as is, and registered and retried once if the homeserver refuses in
   * a way that can mean it does not know the user.
   */
  private async asSelf<T>(
    method: HttpMethod,
    path: string,
    opts: Omit<RequestOptions, "asUser"> = {},
  ): Promise<T> {
    const send = () => this.client.request<T>(method, path, { ...opts, asUser: this.userId });
    if (this.isKnownRegistered()) return send();
    try {
      return await send();
    } catch (err) {
      if (!mayMeanUnregistered(err)) throw err;
      await this.ensureRegistered();
      return send();
    }
  }

  /** Runs an action that needs this user in the room; if refused, joins and tries once more. */
  private async inRoom<T>(roomId: RoomId, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      if (!isMatrixError(err, "M_FORBIDDEN")) throw err;
      // The cache may still say joined after a kick we have not heard about, so it cannot be the judge here.
      this.cache.noteMembership(roomId, this.userId, "leave");
      await this.ensureJoined(roomId);
      return action();
    }
  }

  private async joinOrGetInvited(roomId: RoomId): Promise<void> {
    try {
      await this.join(roomId);
    } catch (err) {
      // A ghost cannot join an invite-only room by itself; the bot, which is in every portal, lets it in.
      if (this.bot === null || !isMatrixError(err, "M_FORBIDDEN")) throw err;
      await this.bot.ensureJoined(roomId);
      await this.bot.invite(roomId, this.userId);
      await this.join(roomId);
    }
  }

  private async membershipAction(roomId: RoomId, action: string, body: EventContent): Promise<void> {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/${action}`;
    await this.asSelf("POST", path, { body, idempotent: true });
  }

  /** The value this user's profile is known to have, asking the homeserver when the cache does not know. */
  private async ownProfileField<K extends keyof Profile>(field: K): Promise<Profile[K]> {
    const cached = this.cache.profile(this.userId)?.[field];
    if (cached !== undefined) return cached;
    // After a restart nothing is cached. A GET is much cheaper than a needless profile PUT, which the homeserver fans
    // out as a new member event into every room the user is in.
    try {
      return (await this.getProfile(this.userId))[field];
    } catch (err) {
      if (isMatrixError(err)) return undefined;
      throw err;
    }
  }
}
