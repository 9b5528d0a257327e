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
  type TextKind,
  type ThirdPartyLookup,
  type UserId,
} from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ChannelLines } from "./channel-lines.ts";
import type { IrcConfig } from "./config.ts";
import { ircToRichText } from "./formatting/irc-to-rich-text.ts";
import { isSafeIrcParam, privmsgBudget, sanitizeIrcText } from "./formatting/lines.ts";
import { createIrcCommands } from "./irc-commands.ts";
import { IrcConnection, ircLower } from "./irc-connection.ts";
import { IrcDelivery } from "./irc-delivery.ts";
import { IrcEvents } from "./irc-events.ts";
import { keepChannelHistoryMode } from "./irc-history-mode.ts";
import { IrcLinkApproval } from "./irc-link-approval.ts";
import { reportModeration } from "./irc-moderation.ts";
import { ircThirdParty } from "./irc-third-party.ts";
import { NickIdentities } from "./nick-identities.ts";
import { outgoingLines } from "./outgoing-lines.ts";
import { PuppetPool } from "./puppet-pool.ts";
import { openPuppetSettings, type PuppetSettings } from "./puppet-settings.ts";

const CHANNEL = /^[#&][^\s,\x07\0\r\n]{1,49}$/;
const NICK = /^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/;

export class IrcNetwork implements NetworkPlugin {
  readonly info: NetworkInfo;
  private readonly config: IrcConfig;
  private readonly context: NetworkContext;
  private readonly bot: IrcConnection;
  private readonly puppets: PuppetPool;
  private readonly events: IrcEvents;
  private readonly delivery: IrcDelivery;
  private readonly identities = new NickIdentities();
  private readonly linkApproval: IrcLinkApproval;
  private readonly settings: PuppetSettings;
  private nextId = 1;
  /** Puppets following their users into channels in the background (see handleMembership), by user and channel. */
  private readonly joining = new Map<string, Promise<void>>();
  readonly commands: Command[];
  readonly thirdParty: ThirdPartyLookup;

  constructor(context: NetworkContext, config: IrcConfig) {
    this.context = context;
    this.config = config;
    // IRC has no replies, edits, reactions, deletions, typing or receipts: the core sends readable fallbacks.
    this.info = {
      id: "irc",
      displayName: config.server.name,
      ghostTemplate: "irc_{id}",
      aliasTemplate: "irc_{id}",
    };
    this.thirdParty = ircThirdParty({ serverName: config.server.name, host: config.server.host });
    if (config.media_url !== undefined) {
      context.logger.warn(
        "network.config.media_url is obsolete and ignored: links to files and long messages now point at the bridge's media proxy; set media.public_url in the bridge's config to where IRC users reach the bridge",
      );
    }
    this.settings = openPuppetSettings(config.passwords.key_file, context);
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
      connectionsPerSecond: config.puppets.connections_per_second,
      choices: this.settings,
      logger: context.logger,
      onCountChange: (connected) => context.puppetsConnected(connected),
      onState: (userId, state, reason) =>
        context.connectionState({ connection: userId, state, ...(reason !== undefined && { reason }) }),
      onConnection: (userId, connection) => this.listenForPrivateMessages(userId, connection),
    });
    this.bot = new IrcConnection({
      ...server,
      nick: config.bot.nick,
      username: config.bot.username,
      realname: config.bot.realname,
    });
    this.delivery = new IrcDelivery({
      storage: context.storage,
      channelLines: new ChannelLines(this.bot),
      logger: context.logger,
    });
    const isPuppet = (nick: string) => this.puppets.isPuppetNick(nick);
    this.events = new IrcEvents({
      bot: this.bot,
      remote: context.remote,
      logger: context.logger,
      isPuppet,
      // A puppet's remote id is its lower-case nick (see automaticIdentity).
      knownNicks: (taken) => new Map([...this.puppets.knownNicks(taken).keys()].map((nick) => [nick, nick])),
      netsplitGraceMs: config.netsplit_grace_seconds * 1000,
      identities: this.identities,
      replayHistory: config.channel_history.replay,
    });
    if (config.channel_history.set_mode !== undefined) {
      keepChannelHistoryMode({
        bot: this.bot,
        value: config.channel_history.set_mode,
        logger: context.logger,
      });
    }
    this.linkApproval = new IrcLinkApproval({
      bot: this.bot,
      timeoutMs: config.link_approval_seconds * 1000,
      isPuppet,
    });
    reportModeration({
      bot: this.bot,
      remote: context.remote,
      logger: context.logger,
      isPuppet,
      identities: this.identities,
    });
    this.commands = createIrcCommands({
      puppetsEnabled: config.mode === "puppets",
      pool: this.puppets,
      settings: this.settings,
      bot: this.bot,
      aliasOf: (channel) => context.portalAlias(remoteRoomId(channel)),
    });
  }

  async start(): Promise<void> {
    const { context, bot } = this;
    const { server } = this.config;
    this.logReconnects();
    context.connectionState({ connection: "bot", state: "CONNECTING" });
    await bot.connect();
    context.connectionState({ connection: "bot", state: "CONNECTED" });
    context.logger.info("connected to IRC", { host: server.host, port: server.port, nick: bot.nick });
    for (const channel of await context.linkedRooms()) {
      await bot
        .join(channel)
        .catch((err: unknown) => context.logger.warn("could not rejoin", { channel, err }));
    }
  }

  /** The bot's outages are the bridge's: every one is logged, with how long it lasted. */
  private logReconnects(): void {
    const { bot, context } = this;
    bot.on("down", () => {
      context.logger.warn("lost the connection to IRC; reconnecting");
      context.connectionState({
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
      context.connectionState({ connection: "bot", state: "CONNECTED" });
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
      this.bot.dropAndReconnect();
      return;
    }
    if (!this.puppets.disconnect(connection, "Reconnecting"))
      throw new Error(`${connection} has no IRC connection.`);
    void this.puppets.ensure(connection).catch((err: unknown) => {
      this.context.logger.warn("puppet could not reconnect", { userId: connection, err });
    });
  }

  async stop(): Promise<void> {
    this.events.stop();
    this.puppets.disconnectAll("Bridge shutting down");
    this.bot.quit("Bridge shutting down");
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    if (!CHANNEL.test(id)) return null;
    const channel = ircLower(id);
    // A channel the bot is not in yet is about to get a new portal, which starts with what is said from now on.
    if (!this.bot.channels.has(channel)) this.events.skipNextHistory(channel);
    await this.bot.join(channel);
    const topic = this.events.topicOf(channel);
    return { id: remoteRoomId(channel), name: id, ...(topic !== undefined && { topic }) };
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    const nick = this.identities.currentNick(id);
    return NICK.test(nick) ? { id, displayName: nick } : null;
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    return this.events
      .membersOf(id)
      .filter((nick) => nick !== this.bot.nick && !this.puppets.isPuppetNick(nick))
      .slice(0, limit)
      .map((nick) => ({ id: this.identities.identify(nick), displayName: nick }));
  }

  /** Linking a channel to a Matrix room needs its operators' consent (see irc-link-approval.ts). */
  async validateLink(id: RemoteRoomId, requester: UserId): Promise<string | null> {
    if (!CHANNEL.test(id)) return `${id} is not an IRC channel name`;
    return this.linkApproval.ask(id, requester);
  }

  /** The Matrix user whose puppet has this nick, or last had it while nobody on IRC has taken it since. */
  matrixUserOf(id: RemoteUserId): UserId | null {
    return this.puppets.knownNicks((nick) => this.events.isIrcUsers(nick)).get(id) ?? null;
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
    if (message.as.kind === "relay") return this.bot;
    // A join of the same user still under way sends the JOIN; a second one now would wait for an answer never sent.
    await this.joining.get(joinKey(message.sender, message.remoteRoomId));
    const puppet = await this.puppets.ensure(message.sender);
    // Private messages need no channel.
    if (message.direct === undefined) await puppet.join(message.remoteRoomId);
    return puppet;
  }

  /** What IRC users write to a puppet's nick is a private chat with that Matrix user. */
  private listenForPrivateMessages(userId: UserId, connection: IrcConnection): void {
    const onPrivate = (kind: TextKind) => (e: MessageEvent) => {
      if (ircLower(e.target) !== ircLower(connection.nick) || !e.nick || e.nick === connection.nick) return;
      if (!NICK.test(e.nick)) return;
      this.context.remote
        .directMessage({
          from: { id: this.identities.identify(e.nick), displayName: e.nick },
          to: userId,
          id: remoteMessageId(e.tags["msgid"] ?? `pm-${Date.now()}-${this.nextId++}`),
          kind,
          text: ircToRichText(e.message),
        })
        .catch((err: unknown) => this.context.logger.error("could not bridge a private message", { err }));
    };
    connection.client.on("privmsg", onPrivate("text"));
    connection.client.on("action", onPrivate("emote"));
    connection.client.on("notice", onPrivate("notice"));
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
    // A relayed emote is marked "* name " on every line by the core, and goes out as the bot's own line.
    const kind =
      message.kind === "notice"
        ? "NOTICE"
        : message.kind === "emote" && message.as.kind === "puppet"
          ? "ACTION"
          : "PRIVMSG";
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
      mentionedNick: (user) => this.mentionedNick(user),
      media: this.context.media,
    });
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

  /** The IRC nick of a mentioned remote user: a Matrix user's puppet's, or an IRC user's as it is spelt now. */
  private mentionedNick(user: RemoteUserId): string | null {
    const matrixUser = this.matrixUserOf(user);
    if (matrixUser !== null) return this.puppets.knownNickOf(matrixUser) ?? null;
    const nick = this.identities.currentNick(user);
    return NICK.test(nick) ? (this.events.spellingOf(ircLower(nick)) ?? nick) : null;
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
    const key = joinKey(membership.sender, membership.remoteRoomId);
    if (membership.membership === "join") {
      // Not awaited: the room's next event would wait for the whole registration (a second on some servers), so the
      // users of one room would connect one after another. Their messages wait for it in connectionFor instead, and
      // a failure here is tried again by the next message.
      const joined = this.connectionFor(membership)
        .then(
          () => undefined,
          (err: unknown) =>
            this.context.logger.warn("puppet could not follow its user into the channel", {
              userId: membership.sender,
              channel: membership.remoteRoomId,
              err,
            }),
        )
        .finally(() => {
          if (this.joining.get(key) === joined) this.joining.delete(key);
        });
      this.joining.set(key, joined);
      return;
    }
    await this.joining.get(key);
    this.puppets.get(membership.sender)?.part(membership.remoteRoomId);
  }
}

function joinKey(userId: UserId, channel: string): string {
  return `${userId} ${ircLower(channel)}`;
}
