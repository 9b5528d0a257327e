// End-to-end encrypted rooms. The bridge cannot decrypt or encrypt yet, so in an encrypted room it reads nothing
// (messages and commands arrive as m.room.encrypted) and must not post plaintext where users expect secrecy. Rather
// than fall silent, it says so once per room — remembered in the store, so a restart does not repeat it — and offers
// the way out:
// - the user's DM with the bot, or a private chat with a ghost: the bot (or the ghost) invites the user to a new chat
//   without encryption, which takes over (the management room, or the private chat's link);
// - a portal or plumbed room that turned encryption on: bridging stops in both directions (the link is kept, marked
//   `paused: "encrypted"`, which the provisioning API and `!relay` show), as mautrix bridges without encryption do;
// - any other room the bot is in: commands are not seen and it cannot be linked.
// Evidence is an m.room.encryption state event or an m.room.encrypted event in a transaction, or m.room.encryption
// in a room's state when the bot or a ghost joins it (an Element DM is created with it in its initial state).

import type { RoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Intent } from "../matrix/intent.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import { remoteRoomKey } from "../pipeline/room-queues.ts";
import type { BridgeStore, MatrixEventJson, RoomLink } from "../store/store.ts";
import type { DirectChats } from "./direct-chats.ts";
import { obj } from "./matrix-content.ts";
import type { Naming } from "./naming.ts";

export const ENCRYPTION_STATE = "m.room.encryption";
export const ENCRYPTED_EVENT = "m.room.encrypted";
const TOPIC = "encrypted";

/** m.room.encryption as a room the bridge makes encrypted gets it in its initial state. */
export const ENCRYPTION_STATE_EVENT = {
  type: ENCRYPTION_STATE,
  state_key: "",
  content: { algorithm: "m.megolm.v1.aes-sha2" },
};

/** What the bridge told a room; a room is told again only when it gets linked after being told it cannot be. */
type Situation = "management" | "dm" | "unlinked" | "paused";

/** Whether a Matrix event shows that its room is encrypted. */
export function showsEncryption(event: MatrixEventJson): boolean {
  return event.type === ENCRYPTED_EVENT || (event.type === ENCRYPTION_STATE && event["state_key"] === "");
}

/** Whether an invite's stripped room state (`unsigned.invite_room_state`) holds m.room.encryption. */
export function inviteShowsEncryption(invite: MatrixEventJson): boolean {
  const state = obj(invite["unsigned"])["invite_room_state"];
  return Array.isArray(state) && state.some((e) => obj(e)["type"] === ENCRYPTION_STATE);
}

export interface EncryptedRoomsDeps {
  store: BridgeStore;
  intents: IntentFactory;
  naming: Naming;
  queue: KeyedQueue;
  directChats: DirectChats;
  networkName: string;
  logger: Logger;
}

export class EncryptedRooms {
  private readonly deps: EncryptedRoomsDeps;

  constructor(deps: EncryptedRoomsDeps) {
    this.deps = deps;
  }

  /** Whether the room `as` just joined is encrypted: the invite's stripped state, else the room's own state. */
  async isEncrypted(roomId: RoomId, as: Intent, invite: MatrixEventJson): Promise<boolean> {
    if (inviteShowsEncryption(invite)) return true;
    return (await as.getState(roomId, ENCRYPTION_STATE, "")) !== null;
  }

  /**
   * The room is encrypted (`evidence` says how the bridge knows; `sender` is who showed it): stop bridging it, and
   * tell it once. Never throws: the pipeline goes on with the room's next event either way.
   */
  async noticed(roomId: RoomId, sender: UserId, evidence: string): Promise<void> {
    try {
      await this.handle(roomId, sender, evidence);
    } catch (err) {
      this.deps.logger.warn("could not tell an encrypted room that it is not bridged", { roomId, err });
    }
  }

  private async handle(roomId: RoomId, sender: UserId, evidence: string): Promise<void> {
    const { store, logger } = this.deps;
    const link = await this.pause(roomId);
    const managed = link === null && (await store.getUserRecord(sender)).managementRoomId === roomId;
    const situation: Situation =
      link === null ? (managed ? "management" : "unlinked") : link.kind === "dm" ? "dm" : "paused";
    const given = await store.getNoticeGiven(roomId, TOPIC);
    if (given !== null && (given === situation || situation !== "paused")) return;
    logger.warn("room is end-to-end encrypted; the bridge cannot read it and does not bridge it", {
      roomId,
      evidence,
      situation,
      ...(link !== null && { remoteRoomId: link.remoteRoomId, kind: link.kind }),
    });
    const speaker = this.speakerIn(roomId, link);
    if (speaker === null) return;
    // Remembered before the way out is offered, so a failure there cannot lead to a second new room.
    await store.putNoticeGiven(roomId, TOPIC, situation);
    let text: string;
    if (situation === "management") text = await this.reopenManagement(roomId, sender);
    else if (situation === "dm" && link?.owner !== undefined && link.peer !== undefined) {
      await this.deps.directChats.reopen(link.owner, link.peer);
      text =
        `${this.unreadable("This chat")} reaches ${link.peer} on ${this.deps.networkName}. ` +
        "I have invited you to a new chat without encryption: accept it and write there.";
    } else if (situation === "paused" && link !== null) {
      text =
        "This room is now end-to-end encrypted. This bridge cannot read or send encrypted messages yet, so it has " +
        `stopped bridging this room with ${link.remoteRoomId}: nothing written here reaches ` +
        `${this.deps.networkName}, and nothing from there is posted here. Encryption cannot be turned off again; ` +
        "to bridge again, use a room without encryption.";
    } else {
      text =
        `${this.unreadable("This room")} reaches ${this.deps.networkName} and commands are not seen here. ` +
        "Use a room without encryption to link or command the bridge.";
    }
    await speaker.sendNotice(roomId, text);
  }

  private unreadable(what: string): string {
    return `${what} is end-to-end encrypted, and this bridge cannot read encrypted messages yet, so nothing you write here`;
  }

  /** Marks a room's link paused (under the remote room's key, as every change of a link is); null when unlinked. */
  private async pause(roomId: RoomId): Promise<RoomLink | null> {
    const { store, queue, logger } = this.deps;
    const found = await store.getRoomLinkByMatrix(roomId);
    if (found === null) return null;
    return queue.run(remoteRoomKey(found.remoteRoomId), async () => {
      const link = await store.getRoomLinkByMatrix(roomId);
      if (link === null || link.paused === "encrypted") return link;
      const paused: RoomLink = { ...link, paused: "encrypted" };
      await store.putRoomLink(paused);
      logger.info("bridging paused: the room is end-to-end encrypted", {
        roomId,
        remoteRoomId: link.remoteRoomId,
      });
      return paused;
    });
  }

  /** Who can speak in the room: a private chat's ghost, else the bot — whichever is in it. */
  private speakerIn(roomId: RoomId, link: RoomLink | null): Intent | null {
    const { intents, naming } = this.deps;
    if (link?.kind === "dm" && link.peer !== undefined) {
      const ghost = intents.intentFor(naming.ghostUserId(link.peer));
      if (intents.cache.isJoined(roomId, ghost.userId)) return ghost;
    }
    return intents.cache.isJoined(roomId, intents.bot.userId) ? intents.bot : null;
  }

  /** The user's DM with the bot is encrypted: the bot opens a new one, which becomes their management room. */
  private async reopenManagement(roomId: RoomId, owner: UserId): Promise<string> {
    const { store, intents, naming } = this.deps;
    const unreadable = `${this.unreadable("This room")} reaches ${this.deps.networkName} and commands are not seen.`;
    const newRoom = await intents.bot.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [owner],
    });
    // A homeserver that encrypts every new room leaves no chat the bridge can read.
    if ((await intents.bot.getState(newRoom, ENCRYPTION_STATE, "")) !== null) {
      await intents.bot.leave(newRoom);
      return `${unreadable} This homeserver encrypts every new chat, so ask its admin about using ${naming.botUserId}.`;
    }
    await store.putUserRecord(owner, { ...(await store.getUserRecord(owner)), managementRoomId: newRoom });
    await intents.bot.sendNotice(
      newRoom,
      `Hello! I am the ${this.deps.networkName} bridge bot. Send "help" for the commands.`,
    );
    this.deps.logger.info("management room opened again without encryption", { roomId, newRoom, owner });
    return `${unreadable} I have invited you to a new chat with me without encryption: accept it and continue there.`;
  }
}
