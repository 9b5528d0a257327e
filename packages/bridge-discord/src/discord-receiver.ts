// Discord → Matrix: what discord.js reports from the gateway, as the core's remote events. Each portal channel's
// events are handled one after another in the order they came (a message's files are fetched before the next event
// of the channel is looked at), so the core gets them in Discord's order. A thread's messages go to its parent
// channel's portal, in the parent's queue, as a Matrix thread of the message the thread was started from (a thread
// has that message's id). The last message bridged in each channel and thread is recorded; after a restart what was
// said meanwhile in a portal channel and in its active threads is fetched from their history and bridged first.

import type { Logger, NetworkContext, RemoteEvents, RemoteRoomId, RichText } from "bridge-core";
import {
  type Client,
  Events,
  type Guild,
  type Message,
  type MessageReaction,
  MessageType,
  type OmitPartialGroupDMChannel,
  type PartialMessage,
  type PartialMessageReaction,
  type PartialUser,
  type TextBasedChannel,
  type User,
} from "discord.js";
import type { DiscordConfig } from "./config.ts";
import type { DiscordAccountLinks } from "./discord-account-links.ts";
import { channelRoomId, messageId, parseChannelRoomId, reactionId } from "./discord-ids.ts";
import type { DiscordLinkApproval } from "./discord-link-approval.ts";
import { messageFiles, messageText } from "./discord-message-content.ts";
import type { DiscordModeration } from "./discord-moderation.ts";
import type { DiscordPeople, DiscordPictures } from "./discord-people.ts";
import type { TagNames } from "./markdown-to-rich.ts";

type AnyMessage = OmitPartialGroupDMChannel<Message | PartialMessage>;

/** Messages that are someone's words (not a pin notice, a join greeting, a thread's first line pointing back). */
const SPOKEN = new Set([MessageType.Default, MessageType.Reply, MessageType.ChatInputCommand]);

export interface ReceiverDeps {
  client: Client;
  config: DiscordConfig;
  remote: RemoteEvents;
  media: NetworkContext["media"];
  storage: NetworkContext["storage"];
  logger: Logger;
  people: DiscordPeople;
  pictures: DiscordPictures;
  approvals: DiscordLinkApproval;
  accountLinks: DiscordAccountLinks;
  moderation: DiscordModeration;
  /** Whether a webhook is the bridge's own, whose messages are echoes of Matrix messages. */
  isOwnWebhook(webhookId: string): Promise<boolean>;
  linkedRooms(): Promise<RemoteRoomId[]>;
}

export class DiscordReceiver {
  private readonly queues = new Map<string, Promise<void>>();
  /** The id of the last message bridged in each channel or thread (as recorded in storage). */
  private readonly lastBridged = new Map<string, bigint>();
  private readonly deps: ReceiverDeps;

  constructor(deps: ReceiverDeps) {
    this.deps = deps;
  }

  listen(): void {
    const { client, approvals, moderation, people, remote } = this.deps;
    client.on(Events.MessageCreate, (m) => {
      if (m.channel.isDMBased()) {
        if (m.author.id !== client.user?.id)
          void this.deps.accountLinks.directMessage(m).catch(this.failed("DM"));
        return;
      }
      this.inPortal(m.channelId, () => this.message(m));
    });
    client.on(Events.MessageUpdate, (_, m) => this.inPortal(m.channelId, () => this.edit(m)));
    client.on(Events.MessageDelete, (m) => this.inPortal(m.channelId, () => this.deletion(m)));
    client.on(Events.MessageReactionAdd, (r, u) => {
      // Outside the queue: the core may be waiting for this answer while the channel's queue waits for the core.
      if (approvals.isRequest(r.message.id)) {
        void approvals.reaction(r.message.id, u.id, r.emoji.name).catch(this.failed("link approval"));
        return;
      }
      this.inPortal(r.message.channelId, () => this.reaction(r, u, true));
    });
    client.on(Events.MessageReactionRemove, (r, u) =>
      this.inPortal(r.message.channelId, () => this.reaction(r, u, false)),
    );
    client.on(Events.TypingStart, (typing) =>
      this.inPortal(typing.channel.id, async () => {
        const roomId = this.roomOf(typing.channel.id);
        if (typing.user.id === client.user?.id || typing.guild === null || roomId === null) return;
        const sender = await people.inGuild(typing.guild, typing.user.id);
        await remote.typing({ roomId, sender, typing: true });
      }),
    );
    client.on(Events.GuildMemberAdd, (member) =>
      this.inGuild(member.guild.id, async (roomId) => {
        if (member.id === client.user?.id) return;
        await remote.membership({ roomId, sender: await people.member(member), membership: "join" });
      }),
    );
    client.on(
      Events.GuildMemberRemove,
      (member) => void moderation.memberRemoved(member).catch(this.failed("leave")),
    );
    client.on(Events.GuildAuditLogEntryCreate, (entry, guild) => moderation.auditEntry(entry, guild));
    // Nicknames and avatars: the core changes the ghost's profile only where it differs.
    client.on(Events.GuildMemberUpdate, (_, after) => {
      void people
        .member(after)
        .then((info) => remote.profile(info))
        .catch(this.failed("profile"));
    });
    // A new global avatar or name changes no member, so discord.js reports it only as the user's update.
    client.on(Events.UserUpdate, (_, user) => {
      const member = client.guilds.cache
        .find((g) => g.members.cache.has(user.id))
        ?.members.cache.get(user.id);
      void (member !== undefined ? people.member(member) : people.user(user))
        .then((info) => remote.profile(info))
        .catch(this.failed("profile"));
    });
    client.on(Events.ChannelUpdate, (_, channel) => {
      if (channel.isDMBased() || !channel.isTextBased() || channel.isThread()) return;
      void this.channelInfo(channel.guild, channel.id).catch(this.failed("channel update"));
    });
    client.on(Events.GuildUpdate, (_, guild) =>
      this.inGuild(guild.id, async (roomId) => {
        const channelId = parseChannelRoomId(roomId)?.channelId;
        if (channelId !== undefined) await this.channelInfo(guild, channelId);
      }),
    );
  }

  /** A channel's name, topic and its server's icon, for its portal. */
  private async channelInfo(guild: Guild, channelId: string): Promise<void> {
    const channel = guild.channels.cache.get(channelId);
    if (channel === undefined) return;
    const topic = "topic" in channel && typeof channel.topic === "string" ? { topic: channel.topic } : {};
    const avatarUrl = await this.deps.pictures.guildIcon(guild);
    await this.deps.remote.roomInfo({
      id: channelRoomId(guild.id, channel.id),
      name: channel.name,
      ...topic,
      ...(avatarUrl !== undefined && { avatarUrl }),
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
      this.inQueue(ids.channelId, async () => {
        await ready;
        const last = await this.lastOf(ids.channelId);
        if (last === undefined) return;
        const channel = await this.deps.client.channels.fetch(ids.channelId);
        if (channel === null || !channel.isTextBased() || channel.isDMBased() || channel.isThread()) return;
        await this.catchUpChannel(channel, last);
        // A thread is caught up from its last message bridged; one started after the channel's last message
        // bridged (while the bridge was down) from its beginning. Archived threads are quiet: left alone.
        const { threads } = await channel.guild.channels.fetchActiveThreads();
        for (const thread of threads.values()) {
          if (thread.parentId !== channel.id) continue;
          const threadLast =
            (await this.lastOf(thread.id)) ?? (BigInt(thread.id) > last ? BigInt(thread.id) : undefined);
          if (threadLast !== undefined) await this.catchUpChannel(thread, threadLast);
        }
      });
    }
  }

  /** Bridges what a channel or thread said after the message `after`, oldest first, page by page. */
  private async catchUpChannel(channel: TextBasedChannel, after: bigint): Promise<void> {
    for (let from = after; ; ) {
      const page = [...(await channel.messages.fetch({ after: from.toString(), limit: 100 })).values()];
      if (page.length === 0) return;
      page.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      for (const message of page) await this.message(message);
      from = BigInt(page.at(-1)?.id ?? from);
    }
  }

  /** The channel whose portal a channel's events go to: a thread's parent, else the channel itself. */
  private portalChannelOf(channelId: string): string {
    const channel = this.deps.client.channels.cache.get(channelId);
    return channel?.isThread() === true && channel.parentId !== null ? channel.parentId : channelId;
  }

  private roomOf(channelId: string): RemoteRoomId | null {
    const portal = this.deps.client.channels.cache.get(this.portalChannelOf(channelId));
    return portal === undefined || portal.isDMBased() ? null : channelRoomId(portal.guildId, portal.id);
  }

  private inPortal(channelId: string, task: () => Promise<void>): void {
    this.inQueue(this.portalChannelOf(channelId), task);
  }

  private inQueue(key: string, task: () => Promise<void>): void {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(task).catch(this.failed("event"));
    this.queues.set(key, next);
  }

  private inGuild(guildId: string, task: (room: RemoteRoomId) => Promise<void>): void {
    void this.deps
      .linkedRooms()
      .then(async (rooms) => {
        for (const room of rooms) if (parseChannelRoomId(room)?.guildId === guildId) await task(room);
      })
      .catch(this.failed("server event"));
  }

  private failed(what: string): (err: unknown) => void {
    return (err) => this.deps.logger.warn(`a Discord ${what} could not be bridged`, { error: String(err) });
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
    if (!message.inGuild() || !SPOKEN.has(message.type) || (await this.isEcho(message))) return;
    const last = await this.lastOf(message.channelId);
    // Seen already: fetched while catching up and then delivered by the gateway too.
    if (last !== undefined && BigInt(message.id) <= last) return;
    const roomId = this.roomOf(message.channelId);
    if (roomId === null) return;
    const sender = await this.deps.people.author(message.author, message.member);
    const text: RichText = messageText(message, this.names(message));
    const replyTo = message.reference?.messageId;
    const common = {
      roomId,
      sender,
      timestamp: message.createdTimestamp,
      ...(replyTo !== undefined && { replyTo: messageId(replyTo) }),
      // A thread started from a message has that message's id: the Matrix thread's first event.
      ...(message.channel.isThread() && { threadRoot: messageId(message.channelId) }),
    };
    const files = messageFiles(message);
    if (text.length > 0 || files.length === 0) {
      await this.deps.remote.message({ ...common, id: messageId(message.id), text });
    }
    for (const [n, file] of files.entries()) {
      const id = messageId(n === 0 && text.length === 0 ? message.id : `${message.id}.${n + 1}`);
      try {
        const fetched = await this.deps.media.fetchRemote(file.url, {
          maxBytes: this.deps.config.max_download_bytes,
        });
        const mimetype = file.contentType ?? fetched.contentType;
        const media = { data: fetched.data, mimetype, filename: file.filename, kind: mediaKind(mimetype) };
        await this.deps.remote.message({ ...common, id, text: [], media });
      } catch (err) {
        this.deps.logger.info("a Discord file is bridged as a link", { error: String(err) });
        const link: RichText = [
          { type: "link", url: file.url, children: [{ type: "text", text: file.filename }] },
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
    const roomId = this.roomOf(message.channelId);
    if (roomId === null) return;
    await this.deps.remote.edit({
      roomId,
      sender: await this.deps.people.author(message.author, message.member),
      target: messageId(message.id),
      text: messageText(message, this.names(message)),
    });
  }

  private async deletion(message: AnyMessage): Promise<void> {
    const roomId = this.roomOf(message.channelId);
    if (message.guild === null || roomId === null) return;
    const sender =
      message.author !== null
        ? await this.deps.people.author(message.author, message.member)
        : await this.deps.people.inGuild(message.guild, message.client.user.id);
    const parts = Math.max((message.attachments?.size ?? 0) + (message.stickers?.size ?? 0), 1);
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
    const roomId = this.roomOf(message.channelId);
    if (user.id === this.deps.client.user?.id || message.guild === null || roomId === null) return;
    const { emoji } = reaction;
    // A custom emoji is a picture: an image reaction on Matrix, its `:name:` what clients without images show.
    const key = emoji.id !== null ? `:${emoji.name ?? emoji.id}:` : (emoji.name ?? "");
    const sender = await this.deps.people.inGuild(message.guild, user.id);
    const id = reactionId(message.id, user.id, key);
    if (!added) {
      await this.deps.remote.reactionRemoved({ roomId, sender, id });
      return;
    }
    const imageUrl =
      emoji.id !== null ? this.deps.client.rest.cdn.emoji(emoji.id, { extension: "png" }) : null;
    const image = imageUrl === null ? undefined : await this.deps.pictures.upload(imageUrl);
    await this.deps.remote.reaction({
      roomId,
      sender,
      id,
      target: messageId(message.id),
      key,
      ...(image !== undefined && { image }),
    });
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

function mediaKind(mimetype: string): "image" | "video" | "audio" | "file" {
  const top = mimetype.split("/")[0];
  return top === "image" || top === "video" || top === "audio" ? top : "file";
}
