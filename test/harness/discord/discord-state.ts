// What the Discord API emulator holds: users, guilds with their roles, members, text channels, bans and webhooks, and
// every channel's messages, in the shapes of discord-api-types. Methods change the model and return the gateway
// events the change causes; the server (discord-emulator.ts) sends them. Only what the bridge uses is modelled.

import {
  type APIAttachment,
  type APIDMChannel,
  type APIEmbed,
  type APIGuild,
  type APIGuildMember,
  type APIMessage,
  type APINewsChannel,
  type APIStickerItem,
  type APITextChannel,
  type APIThreadChannel,
  type APIUser,
  type APIWebhook,
  ChannelType,
  GatewayDispatchEvents,
  type GuildMemberFlags,
  MessageType,
  ThreadAutoArchiveDuration,
  WebhookType,
} from "discord-api-types/v10";
import { newGuild } from "./discord-shapes.ts";

/** Discord's epoch (2015-01-01), from which snowflakes count milliseconds. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/** The channels of a guild the emulator has: text, announcement, and threads in either. */
export type GuildChannel = APITextChannel | APINewsChannel | APIThreadChannel;

export interface GatewayEvent {
  t: GatewayDispatchEvents;
  d: unknown;
}

export interface GuildRecord {
  guild: APIGuild;
  channels: Map<string, GuildChannel>;
  members: Map<string, APIGuildMember>;
  bans: Map<string, { reason: string | null }>;
}

export interface WebhookRecord {
  webhook: APIWebhook;
  token: string;
  channelId: string;
}

export interface StoredFile {
  data: Uint8Array;
  contentType: string;
}

export class DiscordState {
  readonly users = new Map<string, APIUser>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  /** Each channel's messages, oldest first. */
  readonly messages = new Map<string, APIMessage[]>();
  /** Direct message channels between the bot and a user, by channel id. */
  readonly directChannels = new Map<string, APIDMChannel>();
  /** Attachment, avatar, icon and sticker bytes by the path they are served at. */
  readonly files = new Map<string, StoredFile>();
  private lastSnowflake = 0n;
  /** Where attachments are served (the emulator's own address). */
  private readonly filesUrl: string;

  constructor(filesUrl: string) {
    this.filesUrl = filesUrl;
  }

  /** A new id, greater than every earlier one, whose time part is now (as Discord's are). */
  snowflake(): string {
    const now = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    this.lastSnowflake = now > this.lastSnowflake ? now : this.lastSnowflake + 1n;
    return this.lastSnowflake.toString();
  }

  addUser(fields: { username: string; global_name?: string; bot?: boolean }): APIUser {
    const user: APIUser = {
      id: this.snowflake(),
      username: fields.username,
      discriminator: "0",
      global_name: fields.global_name ?? null,
      avatar: null,
      ...(fields.bot === true && { bot: true }),
    };
    this.users.set(user.id, user);
    return user;
  }

  user(id: string): APIUser {
    const user = this.users.get(id);
    if (user === undefined) throw new Error(`no user ${id}`);
    return user;
  }

  addGuild(name: string, owner: APIUser): GuildRecord {
    const guild: APIGuild = newGuild(this.snowflake(), name, owner);
    const record: GuildRecord = { guild, channels: new Map(), members: new Map(), bans: new Map() };
    this.guilds.set(guild.id, record);
    return record;
  }

  guild(id: string): GuildRecord {
    const record = this.guilds.get(id);
    if (record === undefined) throw new Error(`no guild ${id}`);
    return record;
  }

  addChannel(
    guildId: string,
    name: string,
    topic?: string,
    type: ChannelType.GuildText | ChannelType.GuildAnnouncement = ChannelType.GuildText,
  ): APITextChannel | APINewsChannel {
    const channel = {
      id: this.snowflake(),
      type,
      guild_id: guildId,
      name,
      topic: topic ?? null,
      position: this.guild(guildId).channels.size,
      permission_overwrites: [],
      nsfw: false,
      parent_id: null,
      last_message_id: null,
      rate_limit_per_user: 0,
    } as APITextChannel | APINewsChannel;
    this.guild(guildId).channels.set(channel.id, channel);
    this.messages.set(channel.id, []);
    return channel;
  }

  /** A public thread in `parentId`; started from a message, it has that message's id, as on Discord. */
  addThread(parentId: string, name: string, owner: APIUser, fromMessage?: string): APIThreadChannel {
    const { guild } = this.channel(parentId);
    const now = new Date().toISOString();
    const thread: APIThreadChannel = {
      id: fromMessage ?? this.snowflake(),
      type: ChannelType.PublicThread,
      guild_id: guild.guild.id,
      parent_id: parentId,
      name,
      owner_id: owner.id,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      thread_metadata: {
        archived: false,
        auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
        archive_timestamp: now,
        locked: false,
        create_timestamp: now,
      },
    };
    guild.channels.set(thread.id, thread);
    this.messages.set(thread.id, []);
    return thread;
  }

  /** The bot's direct message channel with a user, made on first use. */
  directChannelWith(user: APIUser): APIDMChannel {
    for (const channel of this.directChannels.values()) {
      if (channel.recipients?.[0]?.id === user.id) return channel;
    }
    const channel: APIDMChannel = {
      id: this.snowflake(),
      type: ChannelType.DM,
      name: null,
      recipients: [user],
      last_message_id: null,
    };
    this.directChannels.set(channel.id, channel);
    this.messages.set(channel.id, []);
    return channel;
  }

  /** The channel and the guild it is in; throws for an unknown id (the server answers 404). */
  channel(id: string): { channel: GuildChannel; guild: GuildRecord } {
    for (const guild of this.guilds.values()) {
      const channel = guild.channels.get(id);
      if (channel !== undefined) return { channel, guild };
    }
    throw new NotFound("Unknown Channel", 10003);
  }

  addMember(guildId: string, user: APIUser, nick?: string): APIGuildMember {
    const member: APIGuildMember = {
      user,
      nick: nick ?? null,
      roles: [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
    };
    this.guild(guildId).members.set(user.id, member);
    return member;
  }

  member(guildId: string, userId: string): APIGuildMember {
    const member = this.guild(guildId).members.get(userId);
    if (member === undefined) throw new NotFound("Unknown Member", 10007);
    return member;
  }

  message(channelId: string, messageId: string): APIMessage {
    const message = this.messages.get(channelId)?.find((m) => m.id === messageId);
    if (message === undefined) throw new NotFound("Unknown Message", 10008);
    return message;
  }

  addWebhook(channelId: string, name: string, creator: APIUser): WebhookRecord {
    const { guild } = this.channel(channelId);
    const token = `wh-${this.snowflake()}`;
    const webhook: APIWebhook = {
      id: this.snowflake(),
      type: WebhookType.Incoming,
      guild_id: guild.guild.id,
      channel_id: channelId,
      name,
      avatar: null,
      token,
      application_id: null,
      user: creator,
    };
    const record = { webhook, token, channelId };
    this.webhooks.set(webhook.id, record);
    return record;
  }

  /** Stores uploaded files as attachments served by the emulator. */
  attach(
    channelId: string,
    files: { name: string; data: Uint8Array; contentType: string }[],
  ): APIAttachment[] {
    return files.map((file) => {
      const id = this.snowflake();
      const path = `/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
      this.files.set(path, { data: file.data, contentType: file.contentType });
      return {
        id,
        filename: file.name,
        size: file.data.byteLength,
        url: `${this.filesUrl}${path}`,
        proxy_url: `${this.filesUrl}${path}`,
        content_type: file.contentType,
      };
    });
  }

  /** Adds a message to its channel: MESSAGE_CREATE, with the author's member in a guild (as Discord sends it). */
  postMessage(
    channelId: string,
    author: APIUser,
    fields: {
      content: string;
      replyTo?: string;
      attachments?: APIAttachment[];
      embeds?: APIEmbed[];
      stickers?: APIStickerItem[];
      webhookId?: string;
    },
  ): { message: APIMessage; event: GatewayEvent } {
    const direct = this.directChannels.get(channelId);
    const place = direct === undefined ? this.channel(channelId) : undefined;
    const guildId = place?.guild.guild.id;
    const referenced = fields.replyTo !== undefined ? this.message(channelId, fields.replyTo) : undefined;
    const message: APIMessage = {
      id: this.snowflake(),
      channel_id: channelId,
      author,
      content: fields.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: mentionedUsers(fields.content, this.users),
      mention_roles: [],
      attachments: fields.attachments ?? [],
      embeds: fields.embeds ?? [],
      pinned: false,
      type: referenced !== undefined ? MessageType.Reply : MessageType.Default,
      ...(fields.stickers !== undefined && { sticker_items: fields.stickers }),
      ...(fields.webhookId !== undefined && { webhook_id: fields.webhookId }),
      ...(referenced !== undefined && {
        message_reference: {
          message_id: referenced.id,
          channel_id: channelId,
          ...(guildId !== undefined && { guild_id: guildId }),
        },
        referenced_message: referenced,
      }),
    };
    this.messages.get(channelId)?.push(message);
    (direct ?? place?.channel ?? { last_message_id: null }).last_message_id = message.id;
    const member = place?.guild.members.get(author.id);
    const { user: _, ...memberWithoutUser } = member ?? { user: undefined };
    return {
      message,
      event: {
        t: GatewayDispatchEvents.MessageCreate,
        d: {
          ...message,
          ...(guildId !== undefined && { guild_id: guildId }),
          channel_type: direct?.type ?? place?.channel.type,
          ...(member !== undefined && { member: memberWithoutUser }),
        },
      },
    };
  }

  editMessage(channelId: string, messageId: string, content: string): GatewayEvent {
    const message = this.message(channelId, messageId);
    message.content = content;
    message.edited_timestamp = new Date().toISOString();
    message.mentions = mentionedUsers(content, this.users);
    return {
      t: GatewayDispatchEvents.MessageUpdate,
      d: { ...message, guild_id: this.channel(channelId).guild.guild.id },
    };
  }

  deleteMessage(channelId: string, messageId: string): GatewayEvent {
    this.message(channelId, messageId);
    const list = this.messages.get(channelId) ?? [];
    list.splice(
      list.findIndex((m) => m.id === messageId),
      1,
    );
    return {
      t: GatewayDispatchEvents.MessageDelete,
      d: { id: messageId, channel_id: channelId, guild_id: this.channel(channelId).guild.guild.id },
    };
  }

  /** A guild as GUILD_CREATE carries it, with its channels and members. */
  guildCreate(id: string): GatewayEvent {
    const record = this.guild(id);
    return {
      t: GatewayDispatchEvents.GuildCreate,
      d: {
        ...record.guild,
        joined_at: new Date().toISOString(),
        large: false,
        unavailable: false,
        member_count: record.members.size,
        members: [...record.members.values()],
        channels: [...record.channels.values()].filter((c) => !("thread_metadata" in c)),
        threads: [...record.channels.values()].filter((c) => "thread_metadata" in c),
        presences: [],
        voice_states: [],
        stage_instances: [],
        guild_scheduled_events: [],
        soundboard_sounds: [],
      },
    };
  }
}

/** The users a message mentions (`<@id>` or `<@!id>`), as Discord fills `mentions`. */
function mentionedUsers(content: string, users: Map<string, APIUser>): APIUser[] {
  const ids = new Set([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1] ?? ""));
  return [...ids].flatMap((id) => {
    const user = users.get(id);
    return user === undefined ? [] : [user];
  });
}

/** Answered 404 with Discord's error code. */
export class NotFound extends Error {
  readonly code: number;

  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}
