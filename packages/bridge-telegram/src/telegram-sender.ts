// Matrix → Telegram: messages, edits and redactions sent by the bot, in Telegram's HTML, through the per-chat queue.
// A message longer than Telegram allows goes out in parts; its remote id lists them (telegram-ids.ts), and each
// part's id is remembered so that a Telegram reply to any part finds the Matrix message.

import {
  type DeliveryResult,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixRedaction,
  type MxcUri,
  PermanentDeliveryError,
  type RemoteMessageId,
  type RemoteUserId,
  remoteMessageId,
  type SendAs,
} from "bridge-core";
import { describeTelegramError, isTelegramError, type TelegramBotApi } from "./bot-api.ts";
import { htmlToRuns } from "./formatting/html-to-runs.ts";
import { type RelayTemplate, relayedEmote } from "./formatting/relay.ts";
import { plainRuns, type Run, textOf } from "./formatting/rich-text.ts";
import { splitRuns } from "./formatting/split.ts";
import { runsToTelegramHtml } from "./formatting/telegram-html.ts";
import type { ChatSendQueue } from "./send-queue.ts";
import { inputFile, MAX_UPLOAD_BYTES, uploadMethodFor } from "./telegram-files.ts";
import { chatIdOf, messageIdOfParts, partsOf } from "./telegram-ids.ts";

export interface TelegramSenderOptions {
  api: () => TelegramBotApi;
  queue: () => ChatSendQueue;
  relayTemplate: RelayTemplate;
  maxMessageLength: number;
  /** A Matrix file's content (NetworkContext.media). */
  download(url: MxcUri, maxBytes: number): Promise<{ data: Uint8Array; contentType: string }>;
  storage: () => {
    get(key: string): Promise<unknown>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<void>;
  };
  /** The name the bot writes a linked account's messages under (its Telegram name). */
  puppetName(id: RemoteUserId): string;
  /** A Matrix link the bot rewrites (a pill of a Telegram user's ghost → a Telegram mention), or null to keep it. */
  rewriteLink(href: string): string | null;
}

/** Telegram's limit on a caption, in UTF-16 code units. */
const MAX_CAPTION_LENGTH = 1024;

const partKey = (chatId: number, part: number) => `part:${chatId}:${part}`;

export class TelegramSender {
  private readonly options: TelegramSenderOptions;

  constructor(options: TelegramSenderOptions) {
    this.options = options;
  }

  /** The remote id of the Matrix message a Telegram message id belongs to. */
  async messageOfPart(chatId: number, part: number): Promise<RemoteMessageId> {
    const whole = await this.options.storage().get(partKey(chatId, part));
    return remoteMessageId(typeof whole === "string" ? whole : String(part));
  }

  private chatOf(remoteRoomId: string): number {
    const chatId = chatIdOf(remoteRoomId);
    if (chatId === null) throw new PermanentDeliveryError(`${remoteRoomId} is not a Telegram chat id`);
    return chatId;
  }

  /** The HTML of each message the Matrix text becomes. */
  private parts(as: SendAs, msgtype: string, text: { body: string; html?: string }): string[] {
    const own = this.ownRuns(text);
    if (textOf(own).trim() === "") throw new PermanentDeliveryError("the message is empty");
    return splitRuns(this.named(as, msgtype, own), this.options.maxMessageLength).map(runsToTelegramHtml);
  }

  /** What the Matrix user wrote, formatting included. */
  private ownRuns(text: { body: string; html?: string }): Run[] {
    return text.html !== undefined
      ? htmlToRuns(text.html, {
          newlines: "collapse",
          rewriteLink: (href) => this.options.rewriteLink(href) ?? href,
        })
      : plainRuns(text.body);
  }

  /** The text as the bot writes it: in the relay template, under the sender's name. */
  private named(as: SendAs, msgtype: string, runs: Run[]): Run[] {
    // The bot writes for everyone; a linked account (double puppeting) goes by its Telegram name.
    const name = as.kind === "relay" ? as.displayName : this.options.puppetName(as.remoteUserId);
    return msgtype === "m.emote" ? relayedEmote(name, runs) : this.options.relayTemplate.fill(name, runs);
  }

  private async send(chatId: number, html: string, replyTo?: number): Promise<number> {
    const sent = await this.options.queue().run(String(chatId), () =>
      this.options.api().sendMessage({
        chat_id: chatId,
        text: html,
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        ...(replyTo !== undefined && {
          reply_parameters: { message_id: replyTo, allow_sending_without_reply: true },
        }),
      }),
    );
    return sent.message_id;
  }

  /** A notice of the bridge's own (Telegram HTML), not tied to any Matrix message. */
  async notice(chatId: number, html: string): Promise<void> {
    await this.send(chatId, html);
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    const chatId = this.chatOf(message.remoteRoomId);
    const replyTo = message.replyTo !== undefined ? partsOf(message.replyTo)[0] : undefined;
    if (message.media !== undefined) {
      const id = await this.sendFile(chatId, message, message.media, replyTo);
      return { remoteMessageId: messageIdOfParts([id]) };
    }
    const parts = this.parts(message.as, message.msgtype, message);
    // The parts that went out so far are written down as they go, so that a retry after a failure part way (or a
    // crash) sends only the rest instead of all of them again.
    const progressKey =
      parts.length > 1 && message.eventId !== undefined ? `sending:${chatId}:${message.eventId}` : undefined;
    const earlier =
      progressKey !== undefined && message.mayHaveBeenSent === true
        ? await this.options.storage().get(progressKey)
        : undefined;
    const ids = Array.isArray(earlier) ? earlier.filter((id): id is number => Number.isSafeInteger(id)) : [];
    for (let index = ids.length; index < parts.length; index++) {
      try {
        ids.push(await this.send(chatId, parts[index]!, index === 0 ? replyTo : undefined));
      } catch (err) {
        throw this.refusal(err);
      }
      if (progressKey !== undefined) await this.options.storage().put(progressKey, ids);
    }
    const id = messageIdOfParts(ids);
    if (ids.length > 1) for (const part of ids) await this.options.storage().put(partKey(chatId, part), id);
    if (progressKey !== undefined) await this.options.storage().delete(progressKey);
    return { remoteMessageId: id };
  }

  /**
   * A Matrix file, uploaded with the method for its kind; in relay mode its caption names the sender. A caption
   * longer than Telegram's limit for captions is cut: the file is what the message is about.
   */
  private async sendFile(
    chatId: number,
    message: MatrixMessage,
    media: NonNullable<MatrixMessage["media"]>,
    replyTo: number | undefined,
  ): Promise<number> {
    if (media.size !== undefined && media.size > MAX_UPLOAD_BYTES) {
      throw new PermanentDeliveryError(
        `the file is larger than the ${MAX_UPLOAD_BYTES} bytes Telegram takes from bots`,
      );
    }
    const { data, contentType } = await this.options.download(media.url, MAX_UPLOAD_BYTES);
    const mimetype = media.mimetype ?? contentType;
    const method = uploadMethodFor(message.msgtype, mimetype, data.byteLength);
    // Clients put the file's name in the body when there is no caption; it says nothing a document does not.
    const own = message.body === media.filename ? [] : this.ownRuns(message);
    const captionRuns = splitRuns(this.named(message.as, "m.text", own), MAX_CAPTION_LENGTH)[0];
    const params = {
      chat_id: chatId,
      ...(captionRuns !== undefined && { caption: runsToTelegramHtml(captionRuns), parse_mode: "HTML" }),
      ...(replyTo !== undefined && {
        reply_parameters: { message_id: replyTo, allow_sending_without_reply: true },
      }),
    };
    const file = inputFile(data, media.filename, mimetype);
    const api = this.options.api();
    const upload = () => {
      switch (method) {
        case "sendPhoto":
          return api.sendPhoto({ ...params, photo: file });
        case "sendVideo":
          return api.sendVideo({ ...params, video: file });
        case "sendAudio":
          return api.sendAudio({ ...params, audio: file });
        case "sendVoice":
          return api.sendVoice({ ...params, voice: file });
        case "sendDocument":
          return api.sendDocument({ ...params, document: file });
      }
    };
    const sent = await this.options
      .queue()
      .run(String(chatId), upload)
      .catch((err: unknown) => {
        throw this.refusal(err);
      });
    return sent.message_id;
  }

  /** The bot edits its own message; an edit that needs more parts than the original sends the rest as new ones. */
  async sendEdit(edit: MatrixEdit): Promise<void> {
    const chatId = this.chatOf(edit.remoteRoomId);
    const old = partsOf(edit.target);
    if (old.length === 0) throw new PermanentDeliveryError("the edited message is not one the bot sent");
    const parts = this.parts(edit.as, "m.text", edit);
    for (const [index, html] of parts.entries()) {
      const id = old[index];
      if (id === undefined) {
        await this.send(chatId, html, old[0]);
        continue;
      }
      await this.options
        .queue()
        .run(String(chatId), () =>
          this.options.api().editMessageText({
            chat_id: chatId,
            message_id: id,
            text: html,
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
          }),
        )
        .catch((err: unknown) => {
          // The same text again (an edit that only changed formatting Telegram cannot show) is no failure.
          if (!isTelegramError(err, 400, /not modified/i)) throw this.refusal(err);
        });
    }
    for (const id of old.slice(parts.length)) await this.deletePart(chatId, id);
  }

  async sendRedaction(redaction: MatrixRedaction): Promise<void> {
    const chatId = this.chatOf(redaction.remoteRoomId);
    for (const id of partsOf(redaction.target)) await this.deletePart(chatId, id);
  }

  private async deletePart(chatId: number, messageId: number): Promise<void> {
    await this.options
      .queue()
      .run(String(chatId), () => this.options.api().deleteMessage({ chat_id: chatId, message_id: messageId }))
      .catch((err: unknown) => {
        throw this.refusal(err);
      });
  }

  /** Telegram's 4xx answers are final (bad markup, too old to delete, not allowed); anything else may pass. */
  private refusal(err: unknown): unknown {
    if (isTelegramError(err, 400) || isTelegramError(err, 403)) {
      return new PermanentDeliveryError(describeTelegramError(err));
    }
    return err;
  }
}
