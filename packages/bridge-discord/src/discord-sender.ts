// Matrix → Discord: messages, edits and redactions. Matrix users speak through one webhook per channel, under their
// display name, so a message reads as theirs; where the bot may not manage webhooks, the bot writes them with the
// relay marks on every line instead. A message of a Matrix thread goes into the Discord thread of the thread's first
// message, started if need be. Long messages are split; what went out is recorded per Matrix event, so a retry after
// a failure part way sends only the missing parts, and edits and deletions go through whichever sent it, where it is.

import {
  type DeliveryResult,
  type Logger,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixRedaction,
  PermanentDeliveryError,
  plainText,
  type RemoteMessageId,
  type RichText,
  withRelayMarks,
} from "bridge-core";
import {
  type Client,
  DiscordAPIError,
  type MessageCreateOptions,
  RESTJSONErrorCodes,
  type TextChannel,
  type ThreadChannel,
  type Webhook,
  type WebhookMessageCreateOptions,
} from "discord.js";
import type { DiscordConfig } from "./config.ts";
import { discordMessageId, messageId, parseChannelRoomId } from "./discord-ids.ts";
import { escapeMarkdown, mentionedUsers, richToDiscord } from "./rich-to-markdown.ts";
import { splitMessage } from "./split-message.ts";

/** How a message the bridge sent went out, so that it is edited and deleted the same way. */
interface SentRecord {
  webhookId?: string;
  /** The thread it went into, when it went into one. */
  threadId?: string;
  /** Every part of a split message, the first one first. */
  parts: string[];
}

/** Discord's longest thread name. */
const THREAD_NAME_LENGTH = 100;

export interface SenderDeps {
  client: Client;
  config: DiscordConfig;
  storage: { get(key: string): Promise<unknown>; put(key: string, value: unknown): Promise<void> };
  logger: Logger;
}

export class DiscordSender {
  /** Each channel's webhook; null where the bot may not make one (the bot writes instead). */
  private readonly webhooks = new Map<string, Webhook | null>();
  private readonly deps: SenderDeps;

  constructor(deps: SenderDeps) {
    this.deps = deps;
  }

  /** Whether a message came from one of the bridge's own webhooks (an echo of a Matrix message). */
  isOwnWebhook(webhookId: string): boolean {
    return [...this.webhooks.values()].some((hook) => hook?.id === webhookId);
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    const channel = await this.channel(message.remoteRoomId);
    const webhook = await this.webhookOf(channel);
    const thread = message.thread === undefined ? null : await this.threadOf(channel, message);
    const eventKey = message.eventId !== undefined ? `event:${message.eventId}` : undefined;
    const alreadySent =
      message.mayHaveBeenSent === true && eventKey !== undefined
        ? (((await this.deps.storage.get(eventKey)) as string[] | undefined) ?? [])
        : [];
    const pieces = this.pieces(message, webhook !== null);
    const files = await this.files(message);
    if (files.link !== undefined) pieces.push(escapeMarkdown(files.link));
    if (pieces.length === 0) pieces.push("");
    const sent = [...alreadySent];
    for (const [i, content] of pieces.entries()) {
      if (i < alreadySent.length) continue;
      const last = i === pieces.length - 1;
      const options = {
        content,
        allowedMentions: { parse: [], users: mentionedUsers(message.text), repliedUser: false },
        ...(last && files.upload !== undefined && { files: [files.upload] }),
      };
      const id =
        webhook !== null
          ? await this.viaWebhook(webhook, message, {
              ...options,
              ...(thread !== null && { threadId: thread.id }),
            })
          : await this.viaBot(thread ?? channel, message, options, i);
      sent.push(id);
      if (eventKey !== undefined) await this.deps.storage.put(eventKey, sent);
    }
    const [first] = sent;
    if (first === undefined) return {};
    const record: SentRecord = {
      parts: sent,
      ...(webhook !== null && { webhookId: webhook.id }),
      ...(thread !== null && { threadId: thread.id }),
    };
    await this.deps.storage.put(`sent:${first}`, record);
    return { remoteMessageId: messageId(first) };
  }

  async sendEdit(edit: MatrixEdit): Promise<void> {
    const { channel, record, id } = await this.own(edit.remoteRoomId, edit.target, "edited");
    const text = edit.kind === "emote" ? [{ type: "italic" as const, children: edit.text }] : edit.text;
    const marked =
      record.webhookId === undefined && edit.as.kind === "relay" ? withRelayMarks(text, edit.as.marks) : text;
    // A split message is edited in its first part; the parts after it keep what they said.
    const [content = ""] = splitMessage(richToDiscord(marked), this.deps.config.max_message_length);
    const allowedMentions = { parse: [], users: mentionedUsers(edit.text) };
    const webhook = record.webhookId !== undefined ? await this.webhookOf(channel) : null;
    const inThread = record.threadId !== undefined && { threadId: record.threadId };
    if (webhook !== null) await webhook.editMessage(id, { content, allowedMentions, ...inThread });
    else await (await this.where(channel, record)).messages.edit(id, { content, allowedMentions });
  }

  async sendRedaction(redaction: MatrixRedaction): Promise<void> {
    const channel = await this.channel(redaction.remoteRoomId);
    const id = discordMessageId(redaction.target);
    if (id === null) return;
    const record = (await this.deps.storage.get(`sent:${id}`)) as SentRecord | undefined;
    try {
      if (record === undefined) {
        // A Discord user's message, removed by a Matrix moderator: the bot needs Manage Messages for it.
        await channel.messages.delete(id);
        return;
      }
      const webhook = record.webhookId !== undefined ? await this.webhookOf(channel) : null;
      const where = await this.where(channel, record);
      for (const part of record.parts) {
        if (webhook !== null) await webhook.deleteMessage(part, record.threadId);
        else await where.messages.delete(part);
      }
    } catch (err) {
      if (isDiscordError(err, RESTJSONErrorCodes.UnknownMessage)) return;
      if (isDiscordError(err, RESTJSONErrorCodes.MissingPermissions)) {
        throw new PermanentDeliveryError("the bridge's Discord bot may not delete that message");
      }
      throw err;
    }
  }

  private async own(roomId: MatrixEdit["remoteRoomId"], target: RemoteMessageId, what: string) {
    const channel = await this.channel(roomId);
    const id = discordMessageId(target);
    const record =
      id === null ? undefined : ((await this.deps.storage.get(`sent:${id}`)) as SentRecord | undefined);
    if (id === null || record === undefined) {
      throw new PermanentDeliveryError(`only messages sent from Matrix can be ${what} on Discord`);
    }
    return { channel, record, id };
  }

  /**
   * The Discord thread a Matrix thread's message goes into: the one started from the thread's first message (it has
   * that message's id), else one started from it now, named after the new message's first line.
   */
  private async threadOf(channel: TextChannel, message: MatrixMessage): Promise<ThreadChannel | null> {
    const rootId = message.thread === undefined ? null : discordMessageId(message.thread.root);
    if (rootId === null) return null;
    const existing = await this.deps.client.channels.fetch(rootId).catch((err: unknown) => {
      if (isDiscordError(err, RESTJSONErrorCodes.UnknownChannel)) return null;
      throw err;
    });
    if (existing?.isThread() === true && existing.parentId === channel.id) return existing;
    const firstLine = plainText(message.text).split("\n")[0]?.trim() ?? "";
    const name = [...(firstLine || message.senderName)].slice(0, THREAD_NAME_LENGTH).join("");
    try {
      return await channel.threads.create({ startMessage: rootId, name });
    } catch (err) {
      // The first message is gone from Discord: the message goes to the channel, as for a thread never bridged.
      if (isDiscordError(err, RESTJSONErrorCodes.UnknownMessage)) return null;
      throw err;
    }
  }

  /** Where a message the bot wrote is: its thread, or the channel. */
  private async where(channel: TextChannel, record: SentRecord): Promise<TextChannel | ThreadChannel> {
    if (record.threadId === undefined) return channel;
    const thread = await this.deps.client.channels.fetch(record.threadId);
    return thread?.isThread() === true ? thread : channel;
  }

  /** The message's text as Discord markdown, in pieces Discord takes; relay marks on each line when the bot writes. */
  private pieces(message: MatrixMessage, throughWebhook: boolean): string[] {
    let text: RichText =
      message.kind === "emote" ? [{ type: "italic", children: message.text }] : message.text;
    if (message.media !== undefined && plainIs(text, message.media.filename)) text = [];
    // Webhooks cannot reply; a quote of the message answered stands in.
    const quote = message.reply !== undefined && (throughWebhook || message.reply.to === undefined);
    if (quote && message.reply !== undefined) {
      const { author, text: quoted } = message.reply;
      text = [
        {
          type: "quote",
          children: [
            { type: "bold", children: [{ type: "text", text: author }] },
            { type: "text", text: `: ${quoted}` },
          ],
        },
        ...text,
      ];
    }
    // Through the webhook the message shows its sender's name, so the relay marks would only repeat it.
    const marks = !throughWebhook && message.as.kind === "relay" ? message.as.marks : undefined;
    if (marks !== undefined && text.length > 0) text = withRelayMarks(text, marks);
    const continued = marks !== undefined ? escapeMarkdown(marks.before) : "";
    return splitMessage(richToDiscord(text), this.deps.config.max_message_length - continued.length).map(
      // A piece cut out of the middle of a line gets the marks too; one starting a line has them already.
      (piece, i) => (i > 0 && !piece.startsWith(continued) ? continued + piece : piece),
    );
  }

  /** The file to upload, or a link to it when it is too large (or could not be fetched) for Discord. */
  private async files(
    message: MatrixMessage,
  ): Promise<{ upload?: { attachment: Buffer; name: string }; link?: string }> {
    const media = message.media;
    if (media === undefined) return {};
    if (media.size !== undefined && media.size > this.deps.config.max_upload_bytes)
      return { link: media.link() };
    try {
      const { data } = await media.download(this.deps.config.max_upload_bytes);
      return { upload: { attachment: Buffer.from(data), name: media.filename } };
    } catch (err) {
      this.deps.logger.info("a Matrix file goes to Discord as a link", { error: String(err) });
      return { link: media.link() };
    }
  }

  private async viaWebhook(
    webhook: Webhook,
    message: MatrixMessage,
    options: WebhookMessageCreateOptions,
  ): Promise<string> {
    if (message.as.kind === "puppet") {
      // A Matrix user whose Discord account is linked speaks under that account's name and avatar.
      const guild = this.deps.client.guilds.cache.get(webhook.guildId);
      const member = await guild?.members.fetch(message.as.remoteUserId).catch(() => undefined);
      if (member !== undefined) {
        const username = webhookUsername(member.displayName);
        const sent = await webhook.send({ ...options, username, avatarURL: member.displayAvatarURL() });
        return sent.id;
      }
    }
    const name = message.as.kind === "relay" ? message.as.marks.displayName : message.senderName;
    // Discord fetches the avatar from the link itself: the bridge's media proxy serves it without a Matrix token.
    const avatar = message.senderAvatar?.();
    const sent = await webhook.send({
      ...options,
      username: webhookUsername(name),
      ...(avatar !== undefined && { avatarURL: avatar }),
    });
    return sent.id;
  }

  private async viaBot(
    channel: TextChannel | ThreadChannel,
    message: MatrixMessage,
    options: MessageCreateOptions,
    part: number,
  ): Promise<string> {
    const to = part === 0 ? message.reply?.to : undefined;
    const replyTo = to !== undefined ? discordMessageId(to) : null;
    const sent = await channel.send({
      ...options,
      ...(replyTo !== null && { reply: { messageReference: replyTo, failIfNotExists: false } }),
    });
    return sent.id;
  }

  private async channel(roomId: MatrixMessage["remoteRoomId"]): Promise<TextChannel> {
    const ids = parseChannelRoomId(roomId);
    if (ids === null) throw new PermanentDeliveryError(`${roomId} is not a Discord channel`);
    const channel = await this.deps.client.channels.fetch(ids.channelId).catch((err: unknown) => {
      if (
        isDiscordError(err, RESTJSONErrorCodes.UnknownChannel) ||
        isDiscordError(err, RESTJSONErrorCodes.MissingAccess)
      ) {
        throw new PermanentDeliveryError("the Discord channel is gone, or the bot may not see it");
      }
      throw err;
    });
    if (
      channel === null ||
      !channel.isTextBased() ||
      channel.isDMBased() ||
      channel.guildId !== ids.guildId
    ) {
      throw new PermanentDeliveryError(`${roomId} is not a text channel of that Discord server`);
    }
    return channel as TextChannel;
  }

  /** The channel's webhook of the bridge's, made on first use; null when the bot may not manage webhooks. */
  private async webhookOf(channel: TextChannel): Promise<Webhook | null> {
    const known = this.webhooks.get(channel.id);
    if (known !== undefined) return known;
    const botId = this.deps.client.user?.id;
    try {
      const existing = (await channel.fetchWebhooks()).find(
        (hook) =>
          hook.owner?.id === botId && hook.name === this.deps.config.webhook_name && hook.token !== null,
      );
      const webhook = existing ?? (await channel.createWebhook({ name: this.deps.config.webhook_name }));
      this.webhooks.set(channel.id, webhook);
      return webhook;
    } catch (err) {
      if (!isDiscordError(err, RESTJSONErrorCodes.MissingPermissions)) throw err;
      this.deps.logger.info(
        "the bot may not manage webhooks in a channel; it writes Matrix messages itself",
        {
          channel: channel.id,
        },
      );
      this.webhooks.set(channel.id, null);
      return null;
    }
  }
}

export function isDiscordError(err: unknown, code: number): boolean {
  return err instanceof DiscordAPIError && err.code === code;
}

/** A name Discord takes for a webhook message: 1 to 80 characters, never containing "discord" or "clyde". */
export function webhookUsername(name: string): string {
  const cleaned = name.replace(/(d)(iscord)|(c)(lyde)/gi, "$1$3\u200b$2$4").trim();
  return cleaned === "" ? "Matrix user" : [...cleaned].slice(0, 80).join("");
}

function plainIs(text: RichText, value: string): boolean {
  return text.length === 1 && text[0]?.type === "text" && text[0].text === value;
}
