// Matrix → Telegram: messages, edits and redactions sent by the bot, in Telegram's HTML, through the per-chat queue.
// The bot writes every message under its sender's name (relay.ts). A message longer than Telegram allows goes out in
// parts; its remote id lists them (telegram-ids.ts), and each part's id is remembered so that a Telegram reply to any
// part finds the Matrix message.

import {
  type DeliveryResult,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixRedaction,
  type OutgoingMedia,
  PermanentDeliveryError,
  type RemoteMessageId,
  type RemoteUserId,
  type RichText,
  remoteMessageId,
  type SendAs,
  type TextKind,
} from "bridge-core";
import { describeTelegramError, isTelegramError, type TelegramBotApi } from "./bot-api.ts";
import { emoteSignature, type RelayTemplate, type Signature, signedParts } from "./formatting/relay.ts";
import { textOf } from "./formatting/rich-text.ts";
import { richTextToRuns } from "./formatting/rich-text-runs.ts";
import { runsToTelegramHtml } from "./formatting/telegram-html.ts";
import type { ChatSendQueue } from "./send-queue.ts";
import { inputFile, MAX_UPLOAD_BYTES, uploadMethodFor } from "./telegram-files.ts";
import { chatIdOf, messageIdOfParts, partsOf } from "./telegram-ids.ts";

export interface TelegramSenderOptions {
  api: TelegramBotApi;
  queue: ChatSendQueue;
  relayTemplate: RelayTemplate;
  maxMessageLength: number;
  storage: {
    get(key: string): Promise<unknown>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<void>;
  };
  /** The name the bot writes a linked account's messages under (its Telegram name). */
  puppetName(id: RemoteUserId): string;
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
    const whole = await this.options.storage.get(partKey(chatId, part));
    return remoteMessageId(typeof whole === "string" ? whole : String(part));
  }

  private chatOf(remoteRoomId: string): number {
    const chatId = chatIdOf(remoteRoomId);
    if (chatId === null) throw new PermanentDeliveryError(`${remoteRoomId} is not a Telegram chat id`);
    return chatId;
  }

  /** The HTML of each message the Matrix text becomes. */
  private parts(as: SendAs, kind: TextKind, text: RichText): string[] {
    const own = richTextToRuns(text);
    if (textOf(own).trim() === "") throw new PermanentDeliveryError("the message is empty");
    return signedParts(own, this.signature(as, kind), this.options.maxMessageLength).map(runsToTelegramHtml);
  }

  /** How the bot puts the sender's name on each line: in the relay template, or as an action for an emote. */
  private signature(as: SendAs, kind: TextKind): Signature {
    // The bot writes for everyone; a linked account (double puppeting) goes by its Telegram name.
    const name = as.kind === "relay" ? as.marks.displayName : this.options.puppetName(as.remoteUserId);
    return kind === "emote" ? emoteSignature(name) : (line) => this.options.relayTemplate.fill(name, line);
  }

  private async send(chatId: number, html: string, replyTo?: number): Promise<number> {
    const sent = await this.options.queue.run(String(chatId), () =>
      this.options.api.sendMessage({
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
    const { reply } = message;
    const replyTo = reply?.to !== undefined ? partsOf(reply.to)[0] : undefined;
    // A reply to a message the bot cannot point at (never bridged) quotes it instead.
    const text: RichText =
      reply !== undefined && replyTo === undefined
        ? [
            { type: "quote", children: [{ type: "text", text: `${reply.author}: ${reply.text}` }] },
            ...message.text,
          ]
        : message.text;
    if (message.media !== undefined) {
      const id = await this.sendFile(chatId, message, message.media, replyTo);
      return { remoteMessageId: messageIdOfParts([id]) };
    }
    const parts = this.parts(message.as, message.kind, text);
    // The parts that went out so far are written down as they go, so that a retry after a failure part way (or a
    // crash) sends only the rest instead of all of them again.
    const progressKey =
      parts.length > 1 && message.eventId !== undefined ? `sending:${chatId}:${message.eventId}` : undefined;
    const earlier =
      progressKey !== undefined && message.mayHaveBeenSent === true
        ? await this.options.storage.get(progressKey)
        : undefined;
    const ids = Array.isArray(earlier) ? earlier.filter((id): id is number => Number.isSafeInteger(id)) : [];
    for (let index = ids.length; index < parts.length; index++) {
      try {
        ids.push(await this.send(chatId, parts[index]!, index === 0 ? replyTo : undefined));
      } catch (err) {
        throw this.refusal(err);
      }
      if (progressKey !== undefined) await this.options.storage.put(progressKey, ids);
    }
    const id = messageIdOfParts(ids);
    if (ids.length > 1) for (const part of ids) await this.options.storage.put(partKey(chatId, part), id);
    if (progressKey !== undefined) await this.options.storage.delete(progressKey);
    return { remoteMessageId: id };
  }

  /**
   * A Matrix file, uploaded with the method for its kind; its caption names the sender. A caption longer than
   * Telegram's limit for captions is cut: the file is what the message is about.
   */
  private async sendFile(
    chatId: number,
    message: MatrixMessage,
    media: OutgoingMedia,
    replyTo: number | undefined,
  ): Promise<number> {
    if (media.size !== undefined && media.size > MAX_UPLOAD_BYTES) {
      throw new PermanentDeliveryError(
        `the file is larger than the ${MAX_UPLOAD_BYTES} bytes Telegram takes from bots`,
      );
    }
    const { data, contentType } = await media.download(MAX_UPLOAD_BYTES);
    const mimetype = media.mimetype ?? contentType;
    const method = uploadMethodFor(media.kind, mimetype, data.byteLength);
    // Clients put the file's name in the text when there is no caption; it says nothing a document does not.
    const written = richTextToRuns(message.text);
    const own = textOf(written) === media.filename ? [] : written;
    const sign = this.signature(message.as, message.kind);
    const captionRuns = signedParts(own, sign, MAX_CAPTION_LENGTH)[0] ?? sign([]);
    const params = {
      chat_id: chatId,
      caption: runsToTelegramHtml(captionRuns),
      parse_mode: "HTML",
      ...(replyTo !== undefined && {
        reply_parameters: { message_id: replyTo, allow_sending_without_reply: true },
      }),
    };
    const file = inputFile(data, media.filename, mimetype);
    const { api } = this.options;
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
    const sent = await this.options.queue.run(String(chatId), upload).catch((err: unknown) => {
      throw this.refusal(err);
    });
    return sent.message_id;
  }

  /** The bot edits its own message; an edit that needs more parts than the original sends the rest as new ones. */
  async sendEdit(edit: MatrixEdit): Promise<void> {
    const chatId = this.chatOf(edit.remoteRoomId);
    const old = partsOf(edit.target);
    if (old.length === 0) throw new PermanentDeliveryError("the edited message is not one the bot sent");
    const parts = this.parts(edit.as, edit.kind, edit.text);
    for (const [index, html] of parts.entries()) {
      const id = old[index];
      if (id === undefined) {
        await this.send(chatId, html, old[0]);
        continue;
      }
      await this.options.queue
        .run(String(chatId), () =>
          this.options.api.editMessageText({
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
    await this.options.queue
      .run(String(chatId), () => this.options.api.deleteMessage({ chat_id: chatId, message_id: messageId }))
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
