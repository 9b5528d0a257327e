// The Discord network plugin: a bot (never a user account: "selfbots" break Discord's terms) in Discord servers.
// Guild text channels are remote rooms, Discord users are ghosts, and Matrix users speak through a webhook per channel
// under their own names (discord-sender.ts); what happens on Discord arrives through the gateway (discord-receiver.ts).

import type {
  DeliveryResult,
  MatrixEdit,
  MatrixMessage,
  MatrixRedaction,
  NetworkContext,
  NetworkInfo,
  NetworkPlugin,
  RemoteRoomId,
  RemoteRoomInfo,
  RemoteUserId,
  RemoteUserInfo,
} from "bridge-core";
import { Client, Events, GatewayIntentBits, Partials, RESTJSONErrorCodes } from "discord.js";
import type { DiscordConfig } from "./config.ts";
import { isSnowflake, parseChannelRoomId, userId } from "./discord-ids.ts";
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
      ],
      // Events about messages sent before this start (edits, deletions, reactions) come without the message.
      partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.GuildMember, Partials.Channel],
      rest: { api: config.api_url },
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

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    const ids = parseChannelRoomId(id);
    if (ids === null) return null;
    try {
      const channel = await this.client.channels.fetch(ids.channelId);
      if (
        channel === null ||
        channel.isDMBased() ||
        !channel.isTextBased() ||
        channel.guildId !== ids.guildId
      )
        return null;
      const topic = "topic" in channel && typeof channel.topic === "string" ? { topic: channel.topic } : {};
      return { id, name: channel.name, ...topic };
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
      const user = await this.client.users.fetch(id);
      return { id, displayName: user.displayName };
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
    return [...members.values()]
      .filter((m) => m.id !== this.client.user?.id)
      .map((m) => ({ id: userId(m.id), displayName: m.displayName }));
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
