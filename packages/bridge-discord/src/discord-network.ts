// The Discord network plugin: a bot (never a user account: "selfbots" break Discord's terms) in Discord servers.
// Guild text and announcement channels are remote rooms, Discord users are ghosts, and Matrix users speak through a
// webhook per channel under their own names (discord-sender.ts); what happens on Discord arrives through the gateway
// (discord-receiver.ts). Linking needs the channel's consent (discord-link-approval.ts), double puppeting the Discord
// user's (discord-account-links.ts), and kicks go both ways (discord-moderation.ts).

import type {
  Command,
  DeliveryResult,
  MatrixEdit,
  MatrixKick,
  MatrixMessage,
  MatrixRedaction,
  NetworkContext,
  NetworkInfo,
  NetworkPlugin,
  PuppetLogin,
  RemoteRoomId,
  RemoteRoomInfo,
  RemoteUserId,
  RemoteUserInfo,
  UserId,
} from "bridge-core";
import { ChannelType, Client, Events, GatewayIntentBits, Partials, RESTJSONErrorCodes } from "discord.js";
import type { DiscordConfig } from "./config.ts";
import { DiscordAccountLinks } from "./discord-account-links.ts";
import { discordCommands } from "./discord-commands.ts";
import { channelRoomId, isSnowflake, parseChannelRoomId } from "./discord-ids.ts";
import { DiscordLinkApproval } from "./discord-link-approval.ts";
import { DiscordModeration } from "./discord-moderation.ts";
import { DiscordPeople, DiscordPictures } from "./discord-people.ts";
import { DiscordReceiver } from "./discord-receiver.ts";
import { DiscordSender, isDiscordError } from "./discord-sender.ts";

export class DiscordNetwork implements NetworkPlugin {
  readonly info: NetworkInfo = {
    id: "discord",
    displayName: "Discord",
    ghostTemplate: "discord_{id}",
    aliasTemplate: "discord_{id}",
    // A bot cannot speak as a Matrix user's own Discord account, so every bridged room relays.
    relayByDefault: true,
  };
  private readonly config: DiscordConfig;
  private readonly context: NetworkContext;
  private readonly client: Client;
  private readonly sender: DiscordSender;
  private readonly pictures: DiscordPictures;
  private readonly people: DiscordPeople;
  private readonly approvals: DiscordLinkApproval;
  private readonly accountLinks = new DiscordAccountLinks();
  private readonly moderation: DiscordModeration;
  readonly commands: Command[];
  /** Whether each webhook seen is the bridge's own, found once per webhook. */
  private readonly webhookOwners = new Map<string, Promise<boolean>>();

  constructor(config: DiscordConfig, context: NetworkContext) {
    this.config = config;
    this.context = context;
    context.logger.addSecret(config.bot_token);
    this.client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMembers,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.GuildMessageReactions,
        GatewayIntentBits.GuildMessageTyping,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.GuildModeration,
      ],
      // Events about messages sent before this start (edits, deletions, reactions) come without the message.
      partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.GuildMember, Partials.Channel],
      rest: { api: config.api_url, cdn: config.cdn_url },
    });
    this.pictures = new DiscordPictures(context);
    this.people = new DiscordPeople(this.client, this.pictures);
    this.approvals = new DiscordLinkApproval(this.client, config.link_approval_seconds * 1000);
    this.moderation = new DiscordModeration({
      client: this.client,
      people: this.people,
      remote: context.remote,
      roomsOf: async (guildId) =>
        (await context.linkedRooms()).filter((room) => parseChannelRoomId(room)?.guildId === guildId),
    });
    this.commands = discordCommands({
      client: this.client,
      portalAlias: (id) => context.portalAlias(id),
      linkedRooms: () => context.linkedRooms(),
    });
    this.sender = new DiscordSender({
      client: this.client,
      config,
      storage: context.storage,
      logger: context.logger,
    });
  }

  async start(): Promise<void> {
    const { client, context } = this;
    const receiver = new DiscordReceiver({
      client,
      config: this.config,
      remote: context.remote,
      media: context.media,
      storage: context.storage,
      logger: context.logger,
      people: this.people,
      pictures: this.pictures,
      approvals: this.approvals,
      accountLinks: this.accountLinks,
      moderation: this.moderation,
      isOwnWebhook: (id) => this.isOwnWebhook(id),
      linkedRooms: () => context.linkedRooms(),
    });
    receiver.listen();
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    receiver.catchUp(await context.linkedRooms(), ready);
    client.on(Events.ShardDisconnect, () =>
      context.connectionState({ connection: "bot", state: "TRANSIENT_DISCONNECT" }),
    );
    client.on(Events.ShardReconnecting, () =>
      context.connectionState({ connection: "bot", state: "CONNECTING" }),
    );
    client.on(Events.ShardResume, () => context.connectionState({ connection: "bot", state: "CONNECTED" }));
    client.on(Events.ShardReady, () => context.connectionState({ connection: "bot", state: "CONNECTED" }));
    context.connectionState({ connection: "bot", state: "CONNECTING" });
    try {
      await client.login(this.config.bot_token);
    } catch (err) {
      const refused = err instanceof Error && err.name.includes("TokenInvalid");
      context.connectionState({
        connection: "bot",
        state: refused ? "BAD_CREDENTIALS" : "UNKNOWN_ERROR",
        reason: refused ? "Discord refused the bot token" : "could not connect to Discord",
      });
      throw new Error(
        refused ? "Discord refused the bot token" : `could not connect to Discord: ${String(err)}`,
      );
    }
    await ready;
    context.logger.info("connected to Discord", {
      bot: client.user?.username,
      guilds: client.guilds.cache.size,
    });
  }

  async stop(): Promise<void> {
    await this.client.destroy();
  }

  private isOwnWebhook(id: string): Promise<boolean> {
    if (this.sender.isOwnWebhook(id)) return Promise.resolve(true);
    let known = this.webhookOwners.get(id);
    if (known === undefined) {
      known = this.client
        .fetchWebhook(id)
        .then((hook) => hook.owner?.id === this.client.user?.id && hook.name === this.config.webhook_name)
        .catch(() => false);
      this.webhookOwners.set(id, known);
    }
    return known;
  }

  /** A text or announcement channel of a server the bot is in; threads and other channels are no rooms. */
  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    const ids = parseChannelRoomId(id);
    if (ids === null) return null;
    try {
      const channel = await this.client.channels.fetch(ids.channelId);
      if (
        channel === null ||
        channel.isDMBased() ||
        (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement) ||
        channel.guildId !== ids.guildId
      )
        return null;
      const topic = typeof channel.topic === "string" ? { topic: channel.topic } : {};
      const avatarUrl = await this.pictures.guildIcon(channel.guild);
      return {
        id: channelRoomId(ids.guildId, ids.channelId),
        name: channel.name,
        ...topic,
        ...(avatarUrl !== undefined && { avatarUrl }),
      };
    } catch (err) {
      if (
        isDiscordError(err, RESTJSONErrorCodes.UnknownChannel) ||
        isDiscordError(err, RESTJSONErrorCodes.MissingAccess)
      ) {
        return null;
      }
      throw err;
    }
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    if (!isSnowflake(id)) return null;
    try {
      return await this.people.user(await this.client.users.fetch(id));
    } catch (err) {
      if (isDiscordError(err, RESTJSONErrorCodes.UnknownUser)) return null;
      throw err;
    }
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const ids = parseChannelRoomId(id);
    const guild = ids === null ? undefined : this.client.guilds.cache.get(ids.guildId);
    if (guild === undefined) return [];
    const members = await guild.members.list({ limit: Math.min(limit, 1000) });
    const others = [...members.values()].filter((m) => m.id !== this.client.user?.id);
    return Promise.all(others.map((m) => this.people.member(m)));
  }

  /** Linking a Matrix room to a channel needs the consent of the channel's moderators (discord-link-approval.ts). */
  async validateLink(id: RemoteRoomId, requester: UserId): Promise<string | null> {
    const ids = parseChannelRoomId(id);
    const channel = ids === null ? null : await this.client.channels.fetch(ids.channelId);
    if (channel === null || channel.isDMBased() || !channel.isTextBased()) {
      return `${id} is not a Discord channel the bot can see`;
    }
    return this.approvals.ask(channel, requester);
  }

  /** Double puppeting, agreed to from Discord first (discord-account-links.ts); no Discord login is made. */
  async login(userId: UserId, args: string[]): Promise<PuppetLogin> {
    return this.accountLinks.login(userId, args);
  }

  handleKick(kick: MatrixKick): Promise<void> {
    return this.moderation.handleKick(kick);
  }

  sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    return this.sender.sendMessage(message);
  }

  sendEdit(edit: MatrixEdit): Promise<void> {
    return this.sender.sendEdit(edit);
  }

  sendRedaction(redaction: MatrixRedaction): Promise<void> {
    return this.sender.sendRedaction(redaction);
  }
}
