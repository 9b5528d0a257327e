// Discord → Matrix: what discord.js reports from the gateway, as the core's remote events. Each channel's events are
// handled one after another in the order they came (a message's files are fetched before the next event of the
// channel is looked at), so the core gets them in Discord's order. The last message bridged in each channel is
// recorded; after a restart what was said meanwhile is fetched from the channel's history and bridged first.

import type {
  Logger,
  NetworkContext,
  RemoteEvents,
  RemoteRoomId,
  RemoteUserInfo,
  RichText,
} from "bridge-core";
import type {
  Client,
  Guild,
  GuildMember,
  Message,
  MessageReaction,
  OmitPartialGroupDMChannel,
  PartialMessage,
  PartialMessageReaction,
  PartialUser,
  User,
} from "discord.js";
import { Events } from "discord.js";
import type { DiscordConfig } from "./config.ts";
import { channelRoomId, messageId, parseChannelRoomId, reactionId, userId } from "./discord-ids.ts";
import { discordToRich, type TagNames } from "./markdown-to-rich.ts";

type AnyMessage = OmitPartialGroupDMChannel<Message | PartialMessage>;

export interface ReceiverDeps {
  client: Client;
  config: DiscordConfig;
  remote: RemoteEvents;
  media: NetworkContext["media"];
  storage: NetworkContext["storage"];
  logger: Logger;
  /** Whether a webhook is the bridge's own, whose messages are echoes of Matrix messages. */
  isOwnWebhook(webhookId: string): Promise<boolean>;
  linkedRooms(): Promise<RemoteRoomId[]>;
}

export class DiscordReceiver {
  private readonly queues = new Map<string, Promise<void>>();
  /** The id of the last message bridged in each channel (as recorded in storage). */
  private readonly lastBridged = new Map<string, bigint>();
  private readonly deps: ReceiverDeps;

  constructor(deps: ReceiverDeps) {
    this.deps = deps;
  }

  listen(): void {
    const { client } = this.deps;
    client.on(Events.MessageCreate, (m) => this.inChannel(m.channelId, () => this.message(m)));
    client.on(Events.MessageUpdate, (_, m) => this.inChannel(m.channelId, () => this.edit(m)));
    client.on(Events.MessageDelete, (m) => this.inChannel(m.channelId, () => this.deletion(m)));
    client.on(Events.MessageReactionAdd, (r, u) =>
      this.inChannel(r.message.channelId, () => this.reaction(r, u, true)),
    );
    client.on(Events.MessageReactionRemove, (r, u) =>
      this.inChannel(r.message.channelId, () => this.reaction(r, u, false)),
    );
    client.on(Events.TypingStart, (typing) =>
      this.inChannel(typing.channel.id, async () => {
        if (typing.user.id === client.user?.id || typing.guild === null) return;
        const sender = await this.userInfo(typing.guild, typing.user.id);
        await this.deps.remote.typing({
          roomId: channelRoomId(typing.guild.id, typing.channel.id),
          sender,
          typing: true,
        });
      }),
    );
    client.on(Events.GuildMemberAdd, (member) =>
      this.inGuild(member.guild.id, (room) => this.membership(room, member, "join")),
    );
    client.on(Events.GuildMemberRemove, (member) =>
      this.inGuild(member.guild.id, (room) => this.membership(room, member as GuildMember, "leave")),
    );
    client.on(Events.GuildMemberUpdate, (before, after) => {
      if (before.partial || before.displayName !== after.displayName) {
        void this.deps.remote.profile(memberInfo(after)).catch((err: unknown) => this.failed("profile", err));
      }
    });
    client.on(Events.ChannelUpdate, (_, channel) => {
      if (channel.isDMBased() || !channel.isTextBased()) return;
      const topic = "topic" in channel && typeof channel.topic === "string" ? { topic: channel.topic } : {};
      const room = { id: channelRoomId(channel.guildId, channel.id), name: channel.name, ...topic };
      void this.deps.remote.roomInfo(room).catch((err: unknown) => this.failed("channel update", err));
    });
  }

  /**
   * Queues, ahead of anything the gateway brings, the fetching of what was said in the linked channels since the
   * last message bridged there; `ready` resolves once discord.js can make requests.
   */
  catchUp(rooms: RemoteRoomId[], ready: Promise<void>): void {
    for (const room of rooms) {
      const ids = parseChannelRoomId(room);
      if (ids === null) continue;
      this.inChannel(ids.channelId, async () => {
        await ready;
        const last = await this.lastOf(ids.channelId);
        if (last === undefined) return;
        const channel = await this.deps.client.channels.fetch(ids.channelId);
        if (channel === null || !channel.isTextBased() || channel.isDMBased()) return;
        for (let after = last; ; ) {
          const page = [...(await channel.messages.fetch({ after: after.toString(), limit: 100 })).values()];
          if (page.length === 0) return;
          page.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
          for (const message of page) await this.message(message);
          after = BigInt(page.at(-1)?.id ?? after);
        }
      });
    }
  }

  private inChannel(channelId: string, task: () => Promise<void>): void {
    const next = (this.queues.get(channelId) ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => this.failed("event", err));
    this.queues.set(channelId, next);
  }

  private inGuild(guildId: string, task: (room: RemoteRoomId) => Promise<void>): void {
    void this.deps
      .linkedRooms()
      .then(async (rooms) => {
        for (const room of rooms) if (parseChannelRoomId(room)?.guildId === guildId) await task(room);
      })
      .catch((err: unknown) => this.failed("membership", err));
  }

  private failed(what: string, err: unknown): void {
    this.deps.logger.warn(`a Discord ${what} could not be bridged`, { error: String(err) });
  }

  private async isEcho(message: AnyMessage): Promise<boolean> {
    if (message.author?.id === this.deps.client.user?.id) return true;
    return message.webhookId !== null && (await this.deps.isOwnWebhook(message.webhookId));
  }

  private async lastOf(channelId: string): Promise<bigint | undefined> {
    const known = this.lastBridged.get(channelId);
    if (known !== undefined) return known;
    const stored = await this.deps.storage.get(`last:${channelId}`);
    if (typeof stored !== "string") return undefined;
    this.lastBridged.set(channelId, BigInt(stored));
    return BigInt(stored);
  }

  private async message(message: Message): Promise<void> {
    if (!message.inGuild() || (await this.isEcho(message))) return;
    const last = await this.lastOf(message.channelId);
    // Seen already: fetched while catching up and then delivered by the gateway too.
    if (last !== undefined && BigInt(message.id) <= last) return;
    const roomId = channelRoomId(message.guildId, message.channelId);
    const sender = senderOf(message);
    const text: RichText = discordToRich(message.content, this.names(message));
    for (const sticker of message.stickers.values())
      text.push({ type: "text", text: `[sticker: ${sticker.name}]` });
    const common = {
      roomId,
      sender,
      timestamp: message.createdTimestamp,
      ...(message.reference?.messageId !== undefined && { replyTo: messageId(message.reference.messageId) }),
    };
    const attachments = [...message.attachments.values()];
    if (text.length > 0 || attachments.length === 0) {
      await this.deps.remote.message({ ...common, id: messageId(message.id), text });
    }
    for (const [n, attachment] of attachments.entries()) {
      const id = messageId(n === 0 && text.length === 0 ? message.id : `${message.id}.${n + 1}`);
      try {
        const file = await this.deps.media.fetchRemote(attachment.url, {
          maxBytes: this.deps.config.max_download_bytes,
        });
        const mimetype = attachment.contentType ?? file.contentType;
        const media = { data: file.data, mimetype, filename: attachment.name, kind: mediaKind(mimetype) };
        await this.deps.remote.message({ ...common, id, text: [], media });
      } catch (err) {
        this.deps.logger.info("a Discord attachment is bridged as a link", { error: String(err) });
        const link: RichText = [
          { type: "link", url: attachment.url, children: [{ type: "text", text: attachment.name }] },
        ];
        await this.deps.remote.message({ ...common, id, text: link });
      }
    }
    this.lastBridged.set(message.channelId, BigInt(message.id));
    await this.deps.storage.put(`last:${message.channelId}`, message.id);
  }

  private async edit(partial: AnyMessage): Promise<void> {
    const message = partial.partial ? await partial.fetch() : partial;
    // Discord also reports embeds being filled in as an update; only a real edit has an edit time.
    if (!message.inGuild() || message.editedTimestamp === null || (await this.isEcho(message))) return;
    await this.deps.remote.edit({
      roomId: channelRoomId(message.guildId, message.channelId),
      sender: senderOf(message),
      target: messageId(message.id),
      text: discordToRich(message.content, this.names(message)),
    });
  }

  private async deletion(message: AnyMessage): Promise<void> {
    if (message.guildId === null || message.guild === null) return;
    const sender =
      message.author !== null
        ? senderOf(message)
        : await this.userInfo(message.guild, message.client.user.id);
    const roomId = channelRoomId(message.guildId, message.channelId);
    const parts = Math.max(message.attachments?.size ?? 0, 1);
    for (let n = 0; n < parts; n++) {
      await this.deps.remote.deletion({
        roomId,
        sender,
        target: messageId(n === 0 ? message.id : `${message.id}.${n + 1}`),
      });
    }
  }

  private async reaction(
    reaction: MessageReaction | PartialMessageReaction,
    user: User | PartialUser,
    added: boolean,
  ) {
    const { message } = reaction;
    if (user.id === this.deps.client.user?.id || message.guild === null || message.guildId === null) return;
    const { emoji } = reaction;
    // Custom emoji are images on Discord; they reach Matrix as their name.
    const key = emoji.id !== null ? `:${emoji.name ?? emoji.id}:` : (emoji.name ?? "");
    const roomId = channelRoomId(message.guildId, message.channelId);
    const sender = await this.userInfo(message.guild, user.id);
    const id = reactionId(message.id, user.id, key);
    if (added) await this.deps.remote.reaction({ roomId, sender, id, target: messageId(message.id), key });
    else await this.deps.remote.reactionRemoved({ roomId, sender, id });
  }

  private async membership(roomId: RemoteRoomId, member: GuildMember, membership: "join" | "leave") {
    if (member.id === this.deps.client.user?.id) return;
    await this.deps.remote.membership({ roomId, sender: memberInfo(member), membership });
  }

  private async userInfo(guild: Guild, id: string): Promise<RemoteUserInfo> {
    const member = guild.members.cache.get(id) ?? (await guild.members.fetch(id).catch(() => undefined));
    if (member !== undefined) return memberInfo(member);
    const user = await this.deps.client.users.fetch(id);
    return { id: userId(id), displayName: user.displayName };
  }

  private names(message: Message): TagNames {
    const { guild, mentions } = message;
    return {
      user: (id) =>
        mentions.members?.get(id)?.displayName ??
        guild?.members.cache.get(id)?.displayName ??
        mentions.users.get(id)?.displayName,
      role: (id) => guild?.roles.cache.get(id)?.name,
      channel: (id) => {
        const channel = this.deps.client.channels.cache.get(id);
        return channel !== undefined && "name" in channel && typeof channel.name === "string"
          ? channel.name
          : undefined;
      },
    };
  }
}

function senderOf(message: AnyMessage): RemoteUserInfo {
  const author = message.author;
  if (author === null) throw new Error("a Discord message without its author");
  return { id: userId(author.id), displayName: message.member?.displayName ?? author.displayName };
}

function memberInfo(member: GuildMember): RemoteUserInfo {
  return { id: userId(member.id), displayName: member.displayName };
}

function mediaKind(mimetype: string): "image" | "video" | "audio" | "file" {
  const top = mimetype.split("/")[0];
  return top === "image" || top === "video" || top === "audio" ? top : "file";
}
