// Private chats between one Matrix user and one remote user. A remote user writing to a Matrix user's remote
// identity opens a DM from their ghost; a Matrix user inviting a ghost to a direct chat opens one the other way. Each
// is a room link of kind "dm", keyed by both people, so two Matrix users talking to the same remote user never share.

import { createHash } from "node:crypto";
import { type RemoteRoomId, type RemoteUserId, type RoomId, remoteRoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Intent } from "../matrix/intent.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { RemoteDirectMessage } from "../network.ts";
import type { RoomQueues } from "../pipeline/room-queues.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import { ENCRYPTION_STATE_EVENT } from "./encrypted-rooms.ts";
import type { Ghosts } from "./ghosts.ts";
import type { Naming } from "./naming.ts";
import { type PillOf, textContent } from "./remote-content.ts";

export const dmKey = (owner: UserId, peer: RemoteUserId): RemoteRoomId => remoteRoomId(`dm:${owner}:${peer}`);

export class DirectChats {
  private readonly store: BridgeStore;
  private readonly intents: IntentFactory;
  private readonly ghosts: Ghosts;
  private readonly naming: Naming;
  private readonly queues: RoomQueues;
  private readonly pillOf: PillOf;
  private readonly logger: Logger;
  private readonly onBridged: (type: string, receivedAt: number) => void;
  private readonly encrypted: boolean;

  constructor(options: {
    store: BridgeStore;
    intents: IntentFactory;
    ghosts: Ghosts;
    naming: Naming;
    queues: RoomQueues;
    pillOf: PillOf;
    logger: Logger;
    onBridged: (type: string, receivedAt: number) => void;
    /** Private chats the bridge opens are end-to-end encrypted (`encryption.default` or `require`). */
    encrypted?: boolean;
  }) {
    this.store = options.store;
    this.intents = options.intents;
    this.ghosts = options.ghosts;
    this.naming = options.naming;
    this.queues = options.queues;
    this.pillOf = options.pillOf;
    this.logger = options.logger;
    this.onBridged = options.onBridged;
    this.encrypted = options.encrypted === true;
  }

  /** A Matrix user invited a ghost: a direct chat is accepted and linked; anything else is declined. */
  async ghostInvited(roomId: RoomId, inviter: UserId, peer: RemoteUserId, isDirect: boolean): Promise<void> {
    const ghost = this.intents.intentFor(this.naming.ghostUserId(peer));
    if (!isDirect) {
      await ghost.leave(
        roomId,
        "I only take part in direct chats; bridged rooms are joined through their alias.",
      );
      return;
    }
    const key = dmKey(inviter, peer);
    await this.queues.link(key, async () => {
      await ghost.join(roomId);
      const link: RoomLink = {
        roomId,
        remoteRoomId: key,
        kind: "dm",
        peer,
        owner: inviter,
        createdAt: Date.now(),
      };
      await this.store.putRoomLink(link);
      this.logger.info("direct chat opened from Matrix", { roomId, owner: inviter, peer });
    });
  }

  /**
   * A new private chat from the ghost of `peer` to `owner`, replacing one the bridge cannot serve (an encrypted one,
   * which stays linked but paused). The ghost creates it, so it is not encrypted unless the homeserver forces it.
   */
  reopen(owner: UserId, peer: RemoteUserId): Promise<RoomLink> {
    return this.queues.link(dmKey(owner, peer), async () => {
      const link = await this.open(this.intents.intentFor(this.naming.ghostUserId(peer)), owner, peer);
      this.logger.info("direct chat opened again without encryption", { roomId: link.roomId, owner, peer });
      return link;
    });
  }

  private async open(ghost: Intent, owner: UserId, peer: RemoteUserId): Promise<RoomLink> {
    const roomId = await ghost.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [owner],
      ...(this.encrypted && { initial_state: [ENCRYPTION_STATE_EVENT] }),
    });
    const link: RoomLink = {
      roomId,
      remoteRoomId: dmKey(owner, peer),
      kind: "dm",
      peer,
      owner,
      createdAt: Date.now(),
    };
    // The old room keeps its own (paused) link; the remote side now leads here.
    await this.store.putRoomLink(link);
    return link;
  }

  /**
   * A remote user wrote privately to a Matrix user: into their DM, which is made (and the user invited) if need be,
   * in the DM's link turn; the message then takes its turn in the DM room's queue.
   */
  message(m: RemoteDirectMessage): Promise<void> {
    const receivedAt = Date.now();
    const key = dmKey(m.to, m.from.id);
    const find = async () => {
      if ((await this.store.getEventLinkByRemote(key, m.id)) !== null) return null;
      const link = await this.store.getRoomLinkByRemote(key);
      // A chat stopped because it is encrypted is never written into: the message opens a new one instead.
      if (link !== null && link.paused === undefined) return link;
      const opened = await this.open(
        this.intents.intentFor(await this.ghosts.ensure(m.from)),
        m.to,
        m.from.id,
      );
      this.logger.info("direct chat opened from the network", {
        roomId: opened.roomId,
        owner: m.to,
        peer: m.from.id,
      });
      return opened;
    };
    return this.queues.remote(key, find, async (link) => {
      if ((await this.store.getEventLinkByRemote(key, m.id)) !== null) return;
      const ghost = this.intents.intentFor(await this.ghosts.ensure(m.from));
      const content = textContent(m.text, m.kind, this.pillOf);
      const txnId = `dm.${createHash("sha256").update(`${key}\u0000${m.id}`).digest("base64url").slice(0, 32)}`;
      const eventId = await ghost.sendMessage(link.roomId, content, txnId);
      await this.store.putEventLink({
        roomId: link.roomId,
        eventId,
        remoteRoomId: key,
        remoteMessageId: m.id,
      });
      this.onBridged(content["msgtype"] as string, receivedAt);
    });
  }
}
