// What the bridge does with each Matrix event the homeserver sent, once it is its turn in the room's queue.

import type { CommandRegistry } from "../commands/registry.ts";
import { isEventId, isRoomId, isUserId, type RoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { matrixPath } from "../matrix/client.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import { LruMap } from "../matrix/lru-map.ts";
import type { Membership, MembershipCache } from "../matrix/membership-cache.ts";
import type { NetworkPlugin } from "../network.ts";
import type { BridgeStore, InboxEntry, MatrixEventJson } from "../store/store.ts";
import type { Naming } from "./naming.ts";
import type { Permissions } from "./permissions.ts";

const MEMBERSHIPS = new Set(["join", "invite", "leave", "ban", "knock"]);
/** How far back the bot reads a room it has just joined, for messages sent while it was only invited. */
const CATCH_UP_LIMIT = 50;
const RECENT_EVENTS = 10_000;

export interface MatrixEventDeps {
  store: BridgeStore;
  intents: IntentFactory;
  cache: MembershipCache;
  naming: Naming;
  commands: CommandRegistry;
  network: NetworkPlugin;
  permissions: Permissions;
  logger: Logger;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export class MatrixEventHandler {
  private readonly deps: MatrixEventDeps;
  private readonly recentlyHandled = new LruMap<string, true>(RECENT_EVENTS);

  constructor(deps: MatrixEventDeps) {
    this.deps = deps;
  }

  async handle(entry: InboxEntry): Promise<void> {
    const event = entry.event;
    const roomId = str(event["room_id"]);
    const sender = str(event["sender"]);
    this.deps.logger.debug("handling event", { seq: entry.seq, kind: entry.kind, type: event.type, roomId });
    if (entry.kind !== "timeline" || !isRoomId(roomId) || !isUserId(sender)) return;
    if (event.type === "m.room.member") return this.onMembership(roomId, sender, event);
    // Loop prevention: what the bot or a ghost sent was sent by this bridge.
    if (this.deps.naming.isBridgeUser(sender)) return;
    if (event.type === "m.room.message") return this.onMessage(roomId, sender, event);
  }

  private async onMembership(roomId: RoomId, sender: UserId, event: MatrixEventJson): Promise<void> {
    const target = str(event["state_key"]);
    const content = obj(event["content"]);
    const membership = str(content["membership"]);
    if (!isUserId(target) || membership === undefined || !MEMBERSHIPS.has(membership)) return;
    this.deps.cache.noteMembership(roomId, target, membership as Membership);
    if (target === this.deps.naming.botUserId && membership === "invite") {
      await this.onBotInvited(roomId, sender, content["is_direct"] === true);
      const inviteId = str(event["event_id"]);
      if (inviteId !== undefined) await this.catchUpAfterJoin(roomId, inviteId);
    }
  }

  /**
   * The homeserver sends the bridge only what happens in rooms its users have joined, so messages written between
   * the bot's invite and its join (a user typing a command right after opening the DM) never come in a transaction.
   * Read them back from the room's history and handle them as if they had.
   */
  private async catchUpAfterJoin(roomId: RoomId, inviteEventId: string): Promise<void> {
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
    for (const event of missed.reverse()) {
      const sender = str(event["sender"]);
      if (event.type !== "m.room.message" || !isUserId(sender) || naming.isBridgeUser(sender)) continue;
      await this.onMessage(roomId, sender, event);
    }
  }

  private async onBotInvited(roomId: RoomId, inviter: UserId, isDirect: boolean): Promise<void> {
    const { intents, permissions, store, logger } = this.deps;
    if (permissions.levelOf(inviter) === "none") {
      logger.info("refusing invite from a user without permission", { roomId, inviter });
      await intents.bot.leave(roomId, "You are not allowed to use this bridge.");
      return;
    }
    await intents.bot.join(roomId);
    if (isDirect) {
      const record = await store.getUserRecord(inviter);
      await store.putUserRecord(inviter, { ...record, managementRoomId: roomId });
      await intents.bot.sendNotice(
        roomId,
        `Hello! I am the ${this.deps.network.info.displayName} bridge bot. Send "help" for the commands.`,
      );
    }
  }

  private async onMessage(roomId: RoomId, sender: UserId, event: MatrixEventJson): Promise<void> {
    const { store, commands, intents, network, permissions, logger } = this.deps;
    // The same message can reach the bridge twice (a transaction and the catch-up after a join); handle it once.
    const eventId = str(event["event_id"]);
    if (eventId !== undefined) {
      if (this.recentlyHandled.get(eventId)) return;
      this.recentlyHandled.set(eventId, true);
    }
    const content = obj(event["content"]);
    const body = str(content["body"]);
    const msgtype = str(content["msgtype"]);
    if (body === undefined || msgtype === undefined) return;

    if (msgtype === "m.text" && this.deps.cache.isJoined(roomId, this.deps.naming.botUserId)) {
      const isManagementRoom = (await store.getUserRecord(sender)).managementRoomId === roomId;
      const parsed = commands.parse(body, isManagementRoom);
      if (parsed !== null) {
        if (permissions.levelOf(sender) === "none") return;
        await commands.run(parsed, {
          roomId,
          sender,
          isManagementRoom,
          reply: async (text) => {
            await intents.bot.sendNotice(roomId, text);
          },
        });
        return;
      }
    }

    const link = await store.getRoomLinkByMatrix(roomId);
    if (link === null) return;
    const html = content["format"] === "org.matrix.custom.html" ? str(content["formatted_body"]) : undefined;
    try {
      const result = await network.sendMessage({
        roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        msgtype,
        body,
        ...(html !== undefined ? { html } : {}),
        content,
      });
      if (result.remoteMessageId !== undefined && isEventId(eventId)) {
        await store.putEventLink({
          roomId,
          eventId,
          remoteRoomId: link.remoteRoomId,
          remoteMessageId: result.remoteMessageId,
        });
      }
    } catch (err) {
      logger.warn("message not delivered", { roomId, sender, err });
      const reason = err instanceof Error ? err.message : String(err);
      await intents.bot.sendNotice(
        roomId,
        `⚠ ${sender}: your message could not be delivered to ${network.info.displayName}: ${reason}`,
      );
    }
  }
}
