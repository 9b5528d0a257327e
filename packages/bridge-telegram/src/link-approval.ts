// Linking a Matrix room to a Telegram group needs both sides' consent: the core checks the Matrix user is a moderator
// of their room, and this asks the group. The bot posts the request in the group with a one-time code, and the link
// goes ahead once one of the group's admins (as Telegram reports them) sends the code back as a bot command.

import { randomBytes } from "node:crypto";
import type { Message } from "node-telegram-bot-api";
import { escapeHtml } from "./formatting/rich-text.ts";

export const LINK_COMMAND = "link_matrix";

export interface LinkApprovalOptions {
  timeoutMs: number;
  /** Posts a notice (Telegram HTML) in the chat. */
  post(chatId: number, html: string): Promise<void>;
  /** Whether the user is the group's creator or one of its admins. */
  isAdmin(chatId: number, userId: number): Promise<boolean>;
  /** The bot's username, which Telegram clients append to commands in groups (`/link_matrix@bridge_bot`). */
  botUsername(): string;
}

interface Pending {
  chatId: number;
  code: string;
  resolve(refusal: string | null): void;
}

export class TelegramLinkApproval {
  private readonly options: LinkApprovalOptions;
  private readonly pending = new Map<string, Pending>();

  constructor(options: LinkApprovalOptions) {
    this.options = options;
  }

  /** Resolves with null once an admin confirmed, or with the reason the link is refused. */
  async ask(chatId: number, requester: string): Promise<string | null> {
    const code = randomBytes(4).toString("hex");
    const seconds = Math.round(this.options.timeoutMs / 1000);
    const answer = new Promise<string | null>((resolve) => {
      this.pending.set(code, { chatId, code, resolve });
    });
    const timer = setTimeout(() => {
      this.settle(code, `No admin of the Telegram group confirmed the link within ${seconds} seconds.`);
    }, this.options.timeoutMs);
    try {
      await this.options.post(
        chatId,
        `<b>${escapeHtml(requester)}</b> asks to bridge this group with a Matrix room. ` +
          `An admin of the group can allow it by sending <code>/${LINK_COMMAND} ${code}</code> within ${seconds} seconds.`,
      );
      return await answer;
    } catch (err) {
      this.settle(code, null);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private settle(code: string, refusal: string | null): void {
    const pending = this.pending.get(code);
    if (pending === undefined) return;
    this.pending.delete(code);
    pending.resolve(refusal);
  }

  /** Handles a confirmation command; false for any other message, which is bridged as usual. */
  async handle(message: Message): Promise<boolean> {
    const match = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(\S+))?\s*$/.exec(message.text ?? "");
    if (match === null || match[1] !== LINK_COMMAND) return false;
    if (match[2] !== undefined && match[2].toLowerCase() !== this.options.botUsername().toLowerCase())
      return false;
    const pending = this.pending.get(match[3] ?? "");
    if (pending === undefined || pending.chatId !== message.chat.id) {
      await this.options.post(message.chat.id, "There is no link request with that code in this group.");
      return true;
    }
    // An anonymous admin writes as the group itself.
    const fromAdmin =
      message.sender_chat?.id === message.chat.id ||
      (message.from !== undefined && (await this.options.isAdmin(message.chat.id, message.from.id)));
    if (!fromAdmin) {
      await this.options.post(message.chat.id, "Only an admin of this group can confirm the link.");
      return true;
    }
    this.settle(pending.code, null);
    await this.options.post(message.chat.id, "Link confirmed.");
    return true;
  }
}
