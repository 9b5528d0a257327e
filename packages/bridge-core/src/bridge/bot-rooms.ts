// The rooms the bridge bot is in for its own sake: invites to it (a DM becomes the user's management room, greeted,
// or told about encryption it cannot read), commands typed to it, and what was said between its invite and its join,
// which the homeserver never sends in a transaction.

import { ENCRYPTED_EVENT } from "../crypto/encryption-names.ts";
import { isEventId, isRoomId, isUserId, type RoomId, type UserId } from "../ids.ts";
import { matrixPath } from "../matrix/client.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { InboxEntry, MatrixEventJson } from "../store/store.ts";
import { obj, str } from "./matrix-content.ts";
import type { HandlingOutcome, MatrixEventDeps } from "./matrix-events.ts";

/** How far back the bot reads a room it has just joined, for messages sent while it was only invited. */
const CATCH_UP_LIMIT = 50;

type BotRoomDeps = Pick<
  MatrixEventDeps,
  | "store"
  | "commands"
  | "intents"
  | "gate"
  | "cache"
  | "naming"
  | "permissions"
  | "encrypted"
  | "crypto"
  | "networkName"
  | "openPortal"
  | "logger"
> & {
  /** Handles an event found in the room's history and marks it done, as the event handler does. */
  handleAccepted(entry: InboxEntry): Promise<void>;
};

/**
 * The rooms the bot is in, into the membership cache at start. It starts empty: without this, commands in rooms the
 * bot joined before this start (a DM with it) would look like messages in a room it is not in.
 */
export async function learnBotRooms(intents: IntentFactory): Promise<void> {
  const bot = intents.bot.userId;
  const { joined_rooms: rooms = [] } = await intents.client.request<{ joined_rooms?: string[] }>(
    "GET",
    "/_matrix/client/v3/joined_rooms",
    { asUser: bot },
  );
  for (const roomId of rooms.filter(isRoomId)) intents.cache.noteMembership(roomId, bot, "join");
}

export class BotRooms {
  private readonly deps: BotRoomDeps;

  constructor(deps: BotRoomDeps) {
    this.deps = deps;
  }

  /** Runs the message as a bot command if it is one; true when it was. */
  async ranCommand(
    roomId: RoomId,
    sender: UserId,
    event: MatrixEventJson,
    outcome: HandlingOutcome,
  ): Promise<boolean> {
    const { store, commands, intents, gate, cache, naming } = this.deps;
    const content = obj(event["content"]);
    const body = str(content["body"]);
    if (content["msgtype"] !== "m.text" || body === undefined || !cache.isJoined(roomId, naming.botUserId))
      return false;
    const isManagementRoom = (await store.getUserRecord(sender)).managementRoomId === roomId;
    const parsed = commands.parse(body, isManagementRoom);
    if (parsed === null) return false;
    if (!(await gate.admit(roomId, sender, intents.bot))) return true;
    await commands.run(parsed, {
      roomId,
      sender,
      isManagementRoom,
      isAdmin: this.deps.permissions.levelOf(sender) === "admin",
      reply: async (text) => {
        await intents.bot.sendNotice(roomId, text);
      },
      hideCommand: async () => {
        outcome.heldCredentials = true;
        const eventId = event["event_id"];
        if (!isEventId(eventId)) return;
        await intents.bot.redact(roomId, eventId, "hidden: it held credentials").catch((err: unknown) => {
          this.deps.logger.warn("could not hide a command holding credentials", { roomId, err });
        });
      },
      openPortal: (id) => this.deps.openPortal(id, sender),
    });
    return true;
  }

  async invited(roomId: RoomId, inviter: UserId, invite: MatrixEventJson): Promise<void> {
    const { intents, permissions, store, logger, encrypted } = this.deps;
    if (permissions.levelOf(inviter) === "none") {
      logger.info("refusing invite from a user without permission", { roomId, inviter });
      await intents.bot.leave(roomId, "You are not allowed to use this bridge.");
      return;
    }
    await intents.bot.join(roomId);
    const isDirect = obj(invite["content"])["is_direct"] === true;
    if (isDirect) {
      const record = await store.getUserRecord(inviter);
      await store.putUserRecord(inviter, { ...record, managementRoomId: roomId });
    }
    // An encrypted room gets the explanation (and, for a DM, a new chat) instead of a greeting it could not answer,
    // unless the bridge reads encrypted rooms: then it is greeted, encrypted.
    const crypto = this.deps.crypto();
    if (await encrypted.isEncrypted(roomId, intents.bot, invite)) {
      if (crypto === null) {
        await encrypted.noticed(roomId, inviter, "state on joining");
        return;
      }
      crypto.rooms.noteEncrypted(roomId);
    }
    if (isDirect) {
      const name = this.deps.networkName;
      await intents.bot.sendNotice(
        roomId,
        `Hello! I am the ${name} bridge bot. Send "help" for the commands.`,
      );
    }
  }

  /**
   * The homeserver sends the bridge only what happens in rooms its users have joined, so messages written between
   * the bot's invite and its join (a user typing a command right after opening the DM) never come in a transaction.
   * Read them back from the room's history and handle them as if they had.
   */
  async catchUpAfterJoin(roomId: RoomId, inviteEventId: string): Promise<void> {
    const { intents, naming } = this.deps;
    if (!this.deps.cache.isJoined(roomId, naming.botUserId)) return;
    const history = await intents.client.request<{ chunk?: MatrixEventJson[] }>(
      "GET",
      matrixPath`/_matrix/client/v3/rooms/${roomId}/messages`,
      { asUser: naming.botUserId, query: { dir: "b", limit: CATCH_UP_LIMIT } },
    );
    // Newest first: skip what came after the bot's join (that arrives in transactions), stop at the invite.
    const missed: MatrixEventJson[] = [];
    let beforeJoin = false;
    for (const event of history.chunk ?? []) {
      if (event["event_id"] === inviteEventId) break;
      if (beforeJoin) missed.push(event);
      else beforeJoin = event.type === "m.room.member" && event["state_key"] === naming.botUserId;
    }
    // Encrypted ones too, when the bridge reads them: a client shares the room key with invited members' devices.
    const readable = this.deps.crypto() === null ? ["m.room.message"] : ["m.room.message", ENCRYPTED_EVENT];
    const messages = missed.reverse().filter((event) => {
      const sender = str(event["sender"]);
      return readable.includes(event.type) && isUserId(sender) && !naming.isBridgeUser(sender);
    });
    // Accepted like delivered events, so that none is handled twice, also across a restart.
    if (messages.length === 0) return;
    const entries = await this.deps.store.acceptRecovered(
      messages.map((event) => ({ kind: "timeline", event })),
    );
    for (const entry of entries) await this.deps.handleAccepted(entry);
  }
}
