// Typing notifications, read receipts and presence of Matrix users in bridged rooms (ephemeral events, MSC2409),
// passed to the network as their puppets. Relayed users have no remote presence to type or read with, so theirs stay
// on Matrix; so do those of users the permissions leave out, and everything in a room whose bridging is paused.

import { isEventId, isRoomId, isUserId, type RemoteUserId, type RoomId, type UserId } from "../ids.ts";
import type { BridgeStore, MatrixEventJson, RoomLink } from "../store/store.ts";
import { obj } from "./matrix-content.ts";
import type { Naming } from "./naming.ts";
import type { NetworkDoor } from "./network-door.ts";
import type { OutgoingParts } from "./outgoing-parts.ts";
import type { Puppets } from "./puppets.ts";

export class MatrixEphemeral {
  private readonly store: BridgeStore;
  private readonly door: NetworkDoor;
  private readonly parts: OutgoingParts;
  private readonly puppets: Puppets;
  private readonly naming: Naming;
  private readonly allows: (userId: UserId) => boolean;
  /** Who was typing in each room at the last typing event: the homeserver sends the whole set each time. */
  private readonly typing = new Map<RoomId, Set<UserId>>();

  constructor(options: {
    store: BridgeStore;
    door: NetworkDoor;
    parts: OutgoingParts;
    puppets: Puppets;
    naming: Naming;
    /** Whether the permissions let the user be bridged. */
    allows: (userId: UserId) => boolean;
  }) {
    this.allows = options.allows;
    this.store = options.store;
    this.door = options.door;
    this.parts = options.parts;
    this.puppets = options.puppets;
    this.naming = options.naming;
  }

  async handle(event: MatrixEventJson, receivedAt: number): Promise<void> {
    // Presence belongs to a user, not a room: it comes without a room id.
    if (event.type === "m.presence")
      return this.onPresence(event["sender"], obj(event["content"]), receivedAt);
    const roomId = event["room_id"];
    if (!isRoomId(roomId)) return;
    if (event.type === "m.typing") await this.onTyping(roomId, obj(event["content"]), receivedAt);
    else if (event.type === "m.receipt") await this.onReceipt(roomId, obj(event["content"]), receivedAt);
  }

  private async puppetIn(roomId: RoomId, userId: UserId) {
    if (this.naming.isBridgeUser(userId) || !this.allows(userId)) return null;
    const link = await this.store.getRoomLinkByMatrix(roomId);
    if (link === null || link.paused !== undefined) return null;
    const remoteUserId = await this.puppets.identityOf(userId);
    return remoteUserId === null ? null : { link, remoteUserId };
  }

  /** What every call about `userId` in the room carries, as their puppet. */
  private side(link: RoomLink, userId: UserId, remoteUserId: RemoteUserId) {
    return this.parts.side(link, userId, { kind: "puppet", remoteUserId });
  }

  private async onTyping(
    roomId: RoomId,
    content: Record<string, unknown>,
    receivedAt: number,
  ): Promise<void> {
    const ids = Array.isArray(content["user_ids"]) ? content["user_ids"].filter(isUserId) : [];
    const now = new Set(ids);
    const before = this.typing.get(roomId) ?? new Set<UserId>();
    if (now.size > 0) this.typing.set(roomId, now);
    else this.typing.delete(roomId);
    if (!this.door.has("sendTyping")) return;
    const changes = [...[...now].filter((u) => !before.has(u)), ...[...before].filter((u) => !now.has(u))];
    for (const userId of changes) {
      const puppet = await this.puppetIn(roomId, userId);
      if (puppet === null) continue;
      await this.door.sendTyping(
        { roomId, sender: userId, type: "m.typing", what: "typing", receivedAt },
        { ...(await this.side(puppet.link, userId, puppet.remoteUserId)), typing: now.has(userId) },
      );
    }
  }

  private async onPresence(
    sender: unknown,
    content: Record<string, unknown>,
    receivedAt: number,
  ): Promise<void> {
    const state = content["presence"];
    if (
      !this.door.has("sendPresence") ||
      !isUserId(sender) ||
      this.naming.isBridgeUser(sender) ||
      !this.allows(sender)
    )
      return;
    if (state !== "online" && state !== "unavailable" && state !== "offline") return;
    const remoteUserId = await this.puppets.identityOf(sender);
    if (remoteUserId === null) return;
    const statusMsg = content["status_msg"];
    await this.door.sendPresence(
      {
        sender,
        remoteUserId,
        state,
        ...(typeof statusMsg === "string" && statusMsg !== "" && { statusMsg }),
      },
      receivedAt,
    );
  }

  private async onReceipt(
    roomId: RoomId,
    content: Record<string, unknown>,
    receivedAt: number,
  ): Promise<void> {
    if (!this.door.has("sendReadReceipt")) return;
    for (const [eventId, receipts] of Object.entries(content)) {
      if (!isEventId(eventId)) continue;
      for (const userId of Object.keys(obj(obj(receipts)["m.read"]))) {
        if (!isUserId(userId)) continue;
        const puppet = await this.puppetIn(roomId, userId);
        const mapped = puppet && (await this.store.getEventLinkByMatrix(roomId, eventId));
        if (!puppet || !mapped) continue;
        await this.door.sendReadReceipt(
          { roomId, sender: userId, type: "m.receipt", what: "read marker", receivedAt },
          { ...(await this.side(puppet.link, userId, puppet.remoteUserId)), upTo: mapped.remoteMessageId },
        );
      }
    }
  }
}
