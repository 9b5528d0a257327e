// Double puppeting: a Telegram user links their Matrix account, so that what they write in Telegram appears on
// Matrix as that account (through the core's double puppeting) and what that account writes on Matrix goes out
// under their Telegram name. Both sides must agree: the Telegram user asks in a private chat with the bot, naming
// the Matrix account, and gets a one-time code; the Matrix account confirms by sending `login <code>` to the
// bridge's bot. A code is good for one account, once, for a limited time.

import { randomBytes } from "node:crypto";
import { isUserId, type PuppetLogin, type UserId } from "bridge-core";
import type { Message } from "node-telegram-bot-api";
import { escapeHtml } from "./formatting/rich-text.ts";
import { displayNameOf } from "./message-content.ts";
import { telegramUserId } from "./telegram-ids.ts";

export const ACCOUNT_COMMAND = "matrix_account";
const CODE_LIFETIME_MS = 10 * 60_000;

interface PendingLink {
  telegramId: number;
  telegramName: string;
  matrixUser: UserId;
  expires: number;
}

export class TelegramAccountLinks {
  private readonly pending = new Map<string, PendingLink>();
  private readonly reply: (chatId: number, html: string) => Promise<void>;

  constructor(options: { reply: (chatId: number, html: string) => Promise<void> }) {
    this.reply = options.reply;
  }

  /** A message in a private chat with the bot: the request for a code, or anything else, answered with how to ask. */
  async privateMessage(message: Message): Promise<void> {
    if (message.from === undefined || message.from.is_bot) return;
    const match = /^\/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*$/.exec(message.text ?? "");
    if (match?.[1] !== ACCOUNT_COMMAND) {
      return this.reply(
        message.chat.id,
        "This bot bridges Telegram groups with Matrix. To appear on Matrix as your own Matrix account, send " +
          `<code>/${ACCOUNT_COMMAND} @you:your.server</code>.`,
      );
    }
    const matrixUser = match[2];
    if (!isUserId(matrixUser)) {
      return this.reply(
        message.chat.id,
        `Name a Matrix account: <code>/${ACCOUNT_COMMAND} @you:your.server</code>.`,
      );
    }
    this.forgetExpired();
    const code = randomBytes(5).toString("hex");
    this.pending.set(code, {
      telegramId: message.from.id,
      telegramName: displayNameOf(message.from),
      matrixUser,
      expires: Date.now() + CODE_LIFETIME_MS,
    });
    await this.reply(
      message.chat.id,
      `To confirm, send <code>login ${code}</code> to the bridge's bot on Matrix, in a direct chat with it, from ` +
        `${escapeHtml(matrixUser)}, within ${CODE_LIFETIME_MS / 60_000} minutes.`,
    );
  }

  /** The core's `login`: the Matrix side of the agreement. Throws with the reason shown to the user. */
  async login(userId: UserId, args: string[]): Promise<PuppetLogin> {
    this.forgetExpired();
    const code = args[0];
    const pending = code === undefined ? undefined : this.pending.get(code);
    if (args.length !== 1 || pending === undefined) {
      throw new Error(
        `send /${ACCOUNT_COMMAND} ${userId} to the Telegram bot in a private chat, then login with the code it gives`,
      );
    }
    if (pending.matrixUser !== userId) throw new Error("that code was made for another Matrix account");
    this.pending.delete(code!);
    return { remoteUserId: telegramUserId(pending.telegramId), session: { name: pending.telegramName } };
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [code, link] of this.pending) if (link.expires <= now) this.pending.delete(code);
  }
}
