// Telegram → the core: each update the bot receives, as the RemoteEvents the core bridges. Only groups are bridged;
// private chats with the bot are for its commands, and channels are not bridged. Updates of kinds the bridge does not
// bridge are logged by kind and confirmed, so one never holds up those after it.

import {
  type Logger,
  type MxcUri,
  type RemoteEvents,
  type RemoteMessage,
  type RemoteMessageId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteUserId,
} from "bridge-core";
import type { Message, Update, User } from "node-telegram-bot-api";
import { describeTelegramError } from "./bot-api.ts";
import { captionOf, contentOf, displayNameOf } from "./message-content.ts";
import { fileOf, type TelegramFile } from "./telegram-files.ts";
import { chatRoomId, telegramUserId } from "./telegram-ids.ts";

export interface TelegramUpdatesOptions {
  remote: RemoteEvents;
  logger: Logger;
  /** The bot's own user id: it is no ghost, and its being added to a group is what opens the portal. */
  botId: number;
  /** The remote id of the message a Telegram message replies to (a part of a split message names the whole). */
  replyTarget(chatId: number, messageId: number): Promise<RemoteMessageId>;
  /** The content of a file a message carries. */
  downloadFile(file: TelegramFile): Promise<Uint8Array>;
  /** The user's profile photo on Matrix, if they have one. */
  avatarOf(userId: number): Promise<MxcUri | undefined>;
  /** Remembers who wrote, for user lookups. */
  seen(user: RemoteUserInfo): void;
  /** Whether what happens in the group is bridged (it has a portal or link, or may get one now). */
  isBridged(chatId: number): Promise<boolean>;
  /** A message in a private chat with the bot: its own commands. */
  privateMessage(message: Message): Promise<void>;
  /** A bot command for the bridge itself; true when it was one, and is not bridged. */
  command(message: Message): Promise<boolean>;
}

const BRIDGED_CHATS = new Set(["group", "supergroup"]);

/** The chat an update belongs to, so updates of one chat are handled in order and different chats side by side. */
export function chatKeyOf(update: Update): string {
  const message =
    "message" in update ? update.message : "edited_message" in update ? update.edited_message : null;
  return message ? String(message.chat.id) : "";
}

export class TelegramUpdates {
  private readonly options: TelegramUpdatesOptions;

  constructor(options: TelegramUpdatesOptions) {
    this.options = options;
  }

  async handle(update: Update): Promise<void> {
    if ("message" in update) return this.message(update.message);
    if ("edited_message" in update) return this.edited(update.edited_message);
    const kinds = Object.keys(update).filter((k) => k !== "update_id");
    this.options.logger.info("Telegram update of a kind that is not bridged; skipped", {
      updateId: update.update_id,
      kinds,
    });
  }

  private async senderOf(message: Message): Promise<RemoteUserInfo | null> {
    // Anonymous group admins and linked channels write as a chat; that chat is the sender.
    if (message.sender_chat) {
      return {
        id: remoteUserId(String(message.sender_chat.id)),
        displayName: message.sender_chat.title ?? String(message.sender_chat.id),
      };
    }
    if (!message.from) return null;
    const user = await this.userInfo(message.from);
    this.options.seen(user);
    return user;
  }

  private async userInfo(user: User): Promise<RemoteUserInfo> {
    const avatarUrl = await this.options.avatarOf(user.id);
    return {
      id: telegramUserId(user.id),
      displayName: displayNameOf(user),
      ...(avatarUrl !== undefined && { avatarUrl }),
    };
  }

  private async message(message: Message): Promise<void> {
    if (message.chat.type === "private") return this.options.privateMessage(message);
    if (!BRIDGED_CHATS.has(message.chat.type)) {
      this.options.logger.debug("message in a chat that is not bridged", { chatType: message.chat.type });
      return;
    }
    if (message.text?.startsWith("/") && (await this.options.command(message))) return;
    if (!(await this.options.isBridged(message.chat.id))) return;
    const roomId = chatRoomId(message.chat.id);
    const sender = await this.senderOf(message);
    if ((await this.service(message, sender)) || sender === null) return;
    const replyTo = message.reply_to_message
      ? await this.options.replyTarget(message.chat.id, message.reply_to_message.message_id)
      : undefined;
    const base = {
      roomId,
      sender,
      id: remoteMessageId(String(message.message_id)),
      ...(replyTo !== undefined && { replyTo }),
      timestamp: message.date * 1000,
    };
    const file = fileOf(message);
    if (file !== null && (await this.bridgeFile(message, file, base))) return;
    const content = contentOf(message);
    if (content === null) {
      this.options.logger.debug("message without content to bridge", {
        roomId,
        messageId: message.message_id,
      });
      return;
    }
    await this.options.remote.message({ ...base, text: content });
  }

  /**
   * A file as a Matrix file, its caption as a message of its own after it. False when the file could not be fetched
   * (too large for the Bot API, gone): then the message is bridged as a description, so it is not lost.
   */
  private async bridgeFile(
    message: Message,
    file: TelegramFile,
    base: Omit<RemoteMessage, "text">,
  ): Promise<boolean> {
    let data: Uint8Array;
    try {
      data = await this.options.downloadFile(file);
    } catch (err) {
      this.options.logger.warn("could not fetch a file from Telegram; bridging its description", {
        roomId: base.roomId,
        messageId: message.message_id,
        error: describeTelegramError(err),
      });
      return false;
    }
    const media = { data, mimetype: file.mimetype, filename: file.filename, kind: file.kind };
    await this.options.remote.message({ ...base, text: [], media });
    const caption = captionOf(message);
    if (caption !== null) {
      await this.options.remote.message({
        ...base,
        id: remoteMessageId(`${message.message_id}.caption`),
        text: caption,
      });
    }
    return true;
  }

  /** Joins, leaves and a new title; true when the message was one of those. */
  private async service(message: Message, sender: RemoteUserInfo | null): Promise<boolean> {
    const { remote, botId } = this.options;
    const roomId = chatRoomId(message.chat.id);
    if (message.new_chat_members) {
      for (const user of message.new_chat_members) {
        // The bot's own arrival is the group's first activity: its portal is made with the group's title.
        if (user.id === botId)
          await remote.roomInfo({ id: roomId, ...(message.chat.title && { name: message.chat.title }) });
        else await remote.membership({ roomId, sender: await this.userInfo(user), membership: "join" });
      }
      return true;
    }
    if (message.left_chat_member) {
      const user = message.left_chat_member;
      if (user.id === botId) {
        this.options.logger.warn("the bot was removed from a Telegram group; its portal stays", { roomId });
        return true;
      }
      const removedBy = sender !== null && sender.id !== telegramUserId(user.id) ? sender : null;
      const target = { id: telegramUserId(user.id), displayName: displayNameOf(user) };
      if (removedBy !== null) await remote.kick({ roomId, sender: removedBy, target, ban: false });
      else await remote.membership({ roomId, sender: target, membership: "leave" });
      return true;
    }
    if (message.new_chat_title !== undefined) {
      await remote.roomInfo({ id: roomId, name: message.new_chat_title });
      return true;
    }
    if (message.migrate_to_chat_id !== undefined) {
      this.options.logger.warn(
        "a Telegram group became a supergroup with a new id; link the new id to keep bridging",
        {
          roomId,
          newRoomId: chatRoomId(message.migrate_to_chat_id),
        },
      );
      return true;
    }
    return false;
  }

  private async edited(message: Message): Promise<void> {
    if (!BRIDGED_CHATS.has(message.chat.type) || !(await this.options.isBridged(message.chat.id))) return;
    const sender = await this.senderOf(message);
    // A file's caption was bridged as a message of its own; that one is what changed.
    const withFile = fileOf(message) !== null;
    const content = withFile ? captionOf(message) : contentOf(message);
    if (sender === null || content === null) return;
    await this.options.remote.edit({
      roomId: chatRoomId(message.chat.id),
      sender,
      target: remoteMessageId(withFile ? `${message.message_id}.caption` : String(message.message_id)),
      text: content,
    });
  }
}
