// The IRC network plugin: translates between bridge-core's model and IRC. The bot's connection is in every bridged
// channel and reports what happens there; each Matrix user speaks through their own puppet connection (or, past the
// cap or in relay mode, through the bot). Text conversion and line safety live in formatting/, the users' own
// commands in irc-commands.ts.

import {
  type Command,
  type DeliveryResult,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixRoomChange,
  type NetworkContext,
  type NetworkInfo,
  type NetworkPlugin,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  serverNameOf,
  type ThirdPartyLookup,
  type UserId,
} from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ChannelLines } from "./channel-lines.ts";
import type { IrcConfig } from "./config.ts";
import { ircToMatrix } from "./formatting/irc-to-matrix.ts";
import { isSafeIrcParam, privmsgBudget, sanitizeIrcText } from "./formatting/lines.ts";
import { createIrcCommands } from "./irc-commands.ts";
import { IrcConnection, ircLower } from "./irc-connection.ts";
import { IrcDelivery } from "./irc-delivery.ts";
import { IrcEvents } from "./irc-events.ts";
import { IrcHistoryMode } from "./irc-history-mode.ts";
import { IrcLinkApproval } from "./irc-link-approval.ts";
import { IrcModeration } from "./irc-moderation.ts";
import { ircThirdParty } from "./irc-third-party.ts";
import { portalAlias, remoteIdOfGhost } from "./matrix-ids.ts";
import { NickIdentities } from "./nick-identities.ts";
import { outgoingLines } from "./outgoing-lines.ts";
import { PuppetPool } from "./puppet-pool.ts";
import { openPuppetSettings, type PuppetSettings } from "./puppet-settings.ts";

const CHANNEL = /^[#&][^\s,\x07\0\r\n]{1,49}$/;
const NICK = /^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/;

export class IrcNetwork implements NetworkPlugin {
  readonly info: NetworkInfo;
  private readonly config: IrcConfig;
  private context: NetworkContext | null = null;
  private bot: IrcConnection | null = null;
  private readonly puppets: PuppetPool;
  private events: IrcEvents | null = null;
  private delivery: IrcDelivery | null = null;
  private readonly identities = new NickIdentities();
  private linkApproval: IrcLinkApproval | null = null;
  private settings: PuppetSettings | null = null;
  private nextId = 1;
  readonly commands: Command[];
  readonly thirdParty: ThirdPartyLookup;

  constructor(config: IrcConfig) {
    this.config = config;
    this.info = {
      id: "irc",
      displayName: config.server.name,
      ghostTemplate: "irc_{id}",
      aliasTemplate: "irc_{id}",
      // IRC has no replies, edits, reactions or deletions: the core sends readable fallbacks.
      capabilities: {
        edits: false,
        redactions: false,
        reactions: false,
        replies: false,
        typing: false,
        receipts: false,
      },
    };
    this.thirdParty = ircThirdParty({ serverName: config.server.name, host: config.server.host });
    const server = {
      host: config.server.host,
      port: config.server.port,
      tls: config.server.tls,
      reconnectMaxWaitMs: config.reconnect_max_wait_seconds * 1000,
    };
    this.puppets = new PuppetPool({
      server,
      nickTemplate: config.puppets.nick_template,
      maxConnections: config.mode === "relay" ? 0 : config.puppets.max_connections,
      idleTimeoutMs: config.puppets.idle_timeout_minutes * 60_000,
      choices: {
        nick: async (userId) => this.settings?.nick(userId),
        credentials: async (userId) => this.settings?.credentials(userId),
      },
      logger: () => this.context?.logger ?? null,
      onCountChange: (connected) => this.context?.puppetsConnected(connected),
      onState: (userId, state, reason) =>
        this.context?.connectionState?.({
          connection: userId,
          state,
          ...(reason !== undefined && { reason }),
        }),
      onConnection: (userId, connection) => this.listenForPrivateMessages(userId, connection),
    });
    this.commands = createIrcCommands({
      puppetsEnabled: config.mode === "puppets",
      pool: () => this.puppets,
      settings: () => {
        if (this.settings === null) throw new Error("the IRC network is not started");
        return this.settings;
      },
      bot: () => this.botConnection,
      aliasOf: (channel, requester) => portalAlias(this.info.aliasTemplate, channel, serverNameOf(requester)),
    });
  }

  private get ctx(): NetworkContext {
    if (this.context === null) throw new Error("the IRC network is not started");
    return this.context;
  }

  private get botConnection(): IrcConnection {
    if (this.bot === null) throw new Error("the IRC network is not started");
    return this.bot;
  }

  async start(context: NetworkContext): Promise<void> {
    this.context = context;
    const { server, bot } = this.config;
    if (this.config.media_url !== undefined) {
      context.logger.warn(
        "network.config.media_url is obsolete and ignored: links to files and long messages now point at the bridge's media proxy; set media.public_url in the bridge's config to where IRC users reach the bridge",
      );
    }
    this.settings = openPuppetSettings(this.config.passwords.key_file, context);
    this.bot = new IrcConnection({
      host: server.host,
      port: server.port,
      tls: server.tls,
      nick: bot.nick,
      username: bot.username,
      realname: bot.realname,
      reconnectMaxWaitMs: this.config.reconnect_max_wait_seconds * 1000,
    });
    this.logReconnects(this.bot, context);
    context.connectionState?.({ connection: "bot", state: "CONNECTING" });
    this.delivery = new IrcDelivery({
      storage: context.storage,
      channelLines: new ChannelLines(this.bot),
      logger: context.logger,
    });
    this.events = new IrcEvents({
      bot: this.bot,
      remote: context.remote,
      logger: context.logger,
      isPuppet: (nick) => this.puppets.isPuppetNick(nick),
      knownNicks: (taken) => this.puppets.knownNicks(taken),
      netsplitGraceMs: this.config.netsplit_grace_seconds * 1000,
      identities: this.identities,
      replayHistory: this.config.channel_history.replay,
    });
    if (this.config.channel_history.set_mode !== undefined) {
      new IrcHistoryMode({
        bot: this.bot,
        value: this.config.channel_history.set_mode,
        logger: context.logger,
      });
    }
    this.linkApproval = new IrcLinkApproval({
      bot: this.bot,
      timeoutMs: this.config.link_approval_seconds * 1000,
      isPuppet: (nick) => this.puppets.isPuppetNick(nick),
    });
    new IrcModeration({
      bot: this.bot,
      remote: context.remote,
      logger: context.logger,
      isPuppet: (nick) => this.puppets.isPuppetNick(nick),
      identities: this.identities,
    });
    await this.bot.connect();
    context.connectionState?.({ connection: "bot", state: "CONNECTED" });
    context.logger.info("connected to IRC", { host: server.host, port: server.port, nick: this.bot.nick });
    for (const channel of await context.linkedRooms()) {
      await this.bot
        .join(channel)
        .catch((err: unknown) => context.logger.warn("could not rejoin", { channel, err }));
    }
  }

  /** The bot's outages are the bridge's: every one is logged, with how long it lasted. */
  private logReconnects(bot: IrcConnection, context: NetworkContext): void {
    bot.on("down", () => {
      context.logger.warn("lost the connection to IRC; reconnecting");
      context.connectionState?.({
        connection: "bot",
        state: "TRANSIENT_DISCONNECT",
        error: "irc-disconnected",
        reason: `lost the connection to ${this.config.server.host}; reconnecting`,
      });
    });
    bot.on("reconnecting", (e: { attempt: number; waitMs: number }) =>
      context.logger.info("reconnecting to IRC", { attempt: e.attempt, waitMs: e.waitMs }),
    );
    bot.on("up", (e: { reconnect: boolean; downtimeMs?: number }) => {
      if (!e.reconnect) return;
      context.connectionState?.({ connection: "bot", state: "CONNECTED" });
      context.logger.info("reconnected to IRC; rejoining channels", {
        nick: bot.nick,
        downtimeMs: e.downtimeMs,
        channels: bot.channels.size,
      });
    });
  }

  /** An admin's `reconnect`: the bot's connection is dropped and made again; a user's puppet is closed and reopened. */
  async reconnect(connection: "bot" | UserId): Promise<void> {
    if (connection === "bot") {
      this.botConnection.dropAndReconnect();
      return;
    }
    if (!this.puppets.disconnect(connection, "Reconnecting"))
      throw new Error(`${connection} has no IRC connection.`);
    void this.puppets.ensure(connection).catch((err: unknown) => {
      this.ctx.logger.warn("puppet could not reconnect", { userId: connection, err });
    });
  }

  async stop(): Promise<void> {
    this.events?.stop();
    this.puppets.disconnectAll("Bridge shutting down");
    this.bot?.quit("Bridge shutting down");
    this.bot = null;
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    if (!CHANNEL.test(id)) return null;
    const channel = ircLower(id);
    // A channel the bot is not in yet is about to get a new portal, which starts with what is said from now on.
    if (!this.botConnection.channels.has(channel)) this.events?.skipNextHistory(channel);
    await this.botConnection.join(channel);
    const topic = this.events?.topicOf(channel);
    return { id: remoteRoomId(channel), name: id, ...(topic !== undefined && { topic }) };
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    const nick = this.identities.currentNick(id);
    return NICK.test(nick) ? { id, displayName: nick } : null;
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const nicks = this.events?.membersOf(id) ?? [];
    return nicks
      .filter((nick) => nick !== this.botConnection.nick && !this.puppets.isPuppetNick(nick))
      .slice(0, limit)
      .map((nick) => ({ id: this.identities.identify(nick), displayName: nick }));
  }

  /** Linking a channel to a Matrix room needs its operators' consent (see irc-link-approval.ts). */
  async validateLink(id: RemoteRoomId, requester: UserId): Promise<string | null> {
    if (!CHANNEL.test(id)) return `${id} is not an IRC channel name`;
    if (this.linkApproval === null) throw new Error("the IRC network is not started");
    return this.linkApproval.ask(id, requester);
  }

  matrixUserOf(id: RemoteUserId): UserId | null {
    return this.puppets.userOfNick(id) ?? null;
  }

  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    if (!this.puppets.canHave(userId)) return null;
    await this.puppets.loadChosenNick(userId);
    return remoteUserId(ircLower(this.puppets.nickFor(userId)));
  }

  /** The connection a Matrix user's message goes out on, in the channel. */
  private async connectionFor(
    message: Pick<MatrixMessage, "as" | "sender" | "remoteRoomId" | "direct">,
  ): Promise<IrcConnection> {
    if (message.as.kind === "relay") return this.botConnection;
    const puppet = await this.puppets.ensure(message.sender);
    // Private messages need no channel.
    if (message.direct === undefined) await puppet.join(message.remoteRoomId);
    return puppet;
  }

  /** What IRC users write to a puppet's nick is a private chat with that Matrix user. */
  private listenForPrivateMessages(userId: UserId, connection: IrcConnection): void {
    const onPrivate = (msgtype: "m.text" | "m.emote" | "m.notice") => (e: MessageEvent) => {
      if (ircLower(e.target) !== ircLower(connection.nick) || !e.nick || e.nick === connection.nick) return;
      if (!NICK.test(e.nick)) return;
      const { body, html } = ircToMatrix(e.message);
      this.ctx.remote
        .directMessage({
          from: { id: this.identities.identify(e.nick), displayName: e.nick },
          to: userId,
          id: remoteMessageId(e.tags["msgid"] ?? `pm-${Date.now()}-${this.nextId++}`),
          msgtype,
          body,
          ...(html !== undefined && { html }),
        })
        .catch((err: unknown) => this.ctx.logger.error("could not bridge a private message", { err }));
    };
    connection.client.on("privmsg", onPrivate("m.text"));
    connection.client.on("action", onPrivate("m.emote"));
    connection.client.on("notice", onPrivate("m.notice"));
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    // A private chat goes to the peer's nick; a room to its channel.
    const target =
      message.direct !== undefined ? this.identities.currentNick(message.direct) : message.remoteRoomId;
    if (!isSafeIrcParam(target)) throw new Error("not a valid IRC channel or nick");
    if (message.direct !== undefined && message.as.kind !== "puppet") {
      throw new Error("private messages need your own IRC connection");
    }
    const connection = await this.connectionFor(message);
    const kind =
      message.msgtype === "m.emote" ? "ACTION" : message.msgtype === "m.notice" ? "NOTICE" : "PRIVMSG";
    const budget = privmsgBudget({
      nick: connection.nick,
      user: "matrix",
      host: "",
      target,
      command: kind === "NOTICE" ? "NOTICE" : "PRIVMSG",
      action: kind === "ACTION",
    });
    const lines = await outgoingLines(message, {
      budget,
      maxLines: this.config.max_lines,
      mentionedNick: (userId) => this.mentionedNick(userId),
      media: this.ctx.media,
    });
    if (this.delivery === null) throw new Error("the IRC network is not started");
    await this.delivery.send({
      connection,
      kind,
      target,
      lines,
      ...(message.eventId !== undefined && { eventId: message.eventId }),
      ...(message.mayHaveBeenSent && { mayHaveBeenSent: true }),
    });
    return { remoteMessageId: remoteMessageId(`out-${Date.now()}-${this.nextId++}`) };
  }

  /**
   * The IRC nick for a Matrix pill: a ghost's is its IRC user's nick, a Matrix user's their puppet's. Anyone else
   * keeps the pill's text, which is their display name.
   */
  private mentionedNick(userId: string): string | null {
    const ghostId = remoteIdOfGhost(this.info.ghostTemplate, userId);
    if (ghostId !== null) {
      const nick = this.identities.currentNick(remoteUserId(ghostId));
      return NICK.test(nick) ? (this.events?.spellingOf(ircLower(nick)) ?? nick) : null;
    }
    return this.puppets.knownNickOf(userId as UserId) ?? null;
  }

  /** A topic set on Matrix is set on IRC by the user's puppet, which needs the rights the user has there. */
  async handleRoomChange(change: MatrixRoomChange): Promise<void> {
    if (change.topic === undefined || change.as.kind !== "puppet") return;
    const puppet = await this.connectionFor(change);
    puppet.send("TOPIC", change.remoteRoomId, sanitizeIrcText(change.topic));
  }

  /** A Matrix moderator kicking or banning a ghost kicks (and bans) the IRC user, as the moderator's puppet. */
  async handleKick(kick: MatrixKick): Promise<void> {
    const nick = this.identities.currentNick(kick.target);
    if (kick.as.kind !== "puppet" || !NICK.test(nick)) return;
    const puppet = await this.connectionFor(kick);
    if (kick.ban) puppet.send("MODE", kick.remoteRoomId, "+b", `${nick}!*@*`);
    puppet.send("KICK", kick.remoteRoomId, nick, sanitizeIrcText(kick.reason ?? "kicked from Matrix"));
  }

  async handleMembership(membership: MatrixMembership): Promise<void> {
    if (membership.as.kind !== "puppet") return;
    if (membership.membership === "join") {
      await this.connectionFor(membership);
    } else {
      this.puppets.get(membership.sender)?.part(membership.remoteRoomId);
    }
  }
}
