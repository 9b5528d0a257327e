// The IRC network plugin: translates between bridge-core's model and IRC. The bot's connection is in every bridged
// channel and reports what happens there; each Matrix user speaks through their own puppet connection (or, past the
// cap or in relay mode, through the bot). Text conversion and line safety live in formatting/.

import {
  type DeliveryResult,
  type MatrixMembership,
  type MatrixMessage,
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
  type UserId,
} from "bridge-core";
import type { IrcConfig } from "./config.ts";
import { isSafeIrcParam, privmsgBudget, splitMessage } from "./formatting/lines.ts";
import { matrixToIrc } from "./formatting/matrix-to-irc.ts";
import { IrcConnection, ircLower } from "./irc-connection.ts";
import { IrcEvents } from "./irc-events.ts";
import { PuppetPool } from "./puppet-pool.ts";

const CHANNEL = /^[#&][^\s,\x07\0\r\n]{1,49}$/;
const NICK = /^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/;

export class IrcNetwork implements NetworkPlugin {
  readonly info: NetworkInfo;
  private readonly config: IrcConfig;
  private context: NetworkContext | null = null;
  private bot: IrcConnection | null = null;
  private readonly puppets: PuppetPool;
  private events: IrcEvents | null = null;
  private nextId = 1;

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
    const server = { host: config.server.host, port: config.server.port, tls: config.server.tls };
    this.puppets = new PuppetPool({
      server,
      nickTemplate: config.puppets.nick_template,
      maxConnections: config.mode === "relay" ? 0 : config.puppets.max_connections,
      onConnection: () => this.context?.puppetsConnected(this.puppets.size),
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
    this.bot = new IrcConnection({
      host: server.host,
      port: server.port,
      tls: server.tls,
      nick: bot.nick,
      username: bot.username,
      realname: bot.realname,
    });
    this.events = new IrcEvents({
      bot: this.bot,
      remote: context.remote,
      logger: context.logger,
      isPuppet: (nick) => this.puppets.isPuppetNick(nick),
    });
    await this.bot.connect();
    context.logger.info("connected to IRC", { host: server.host, port: server.port, nick: this.bot.nick });
    for (const channel of await context.linkedRooms()) {
      await this.bot
        .join(channel)
        .catch((err: unknown) => context.logger.warn("could not rejoin", { channel, err }));
    }
  }

  async stop(): Promise<void> {
    this.puppets.disconnectAll("Bridge shutting down");
    this.bot?.quit("Bridge shutting down");
    this.bot = null;
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    if (!CHANNEL.test(id)) return null;
    const channel = ircLower(id);
    await this.botConnection.join(channel);
    const topic = this.events?.topicOf(channel);
    return { id: remoteRoomId(channel), name: id, ...(topic !== undefined && { topic }) };
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    return NICK.test(id) ? { id: remoteUserId(ircLower(id)), displayName: id } : null;
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const nicks = this.events?.membersOf(id) ?? [];
    return nicks
      .filter((nick) => nick !== this.botConnection.nick && !this.puppets.isPuppetNick(nick))
      .slice(0, limit)
      .map((nick) => ({ id: remoteUserId(ircLower(nick)), displayName: nick }));
  }

  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    if (!this.puppets.canHave(userId)) return null;
    return remoteUserId(ircLower(this.puppets.nickFor(userId)));
  }

  /** The connection a Matrix user's message goes out on, in the channel. */
  private async connectionFor(
    message: Pick<MatrixMessage, "as" | "sender" | "remoteRoomId">,
  ): Promise<IrcConnection> {
    if (message.as.kind === "relay") return this.botConnection;
    const puppet = await this.puppets.ensure(message.sender);
    await puppet.join(message.remoteRoomId);
    return puppet;
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    if (!isSafeIrcParam(message.remoteRoomId)) throw new Error("not a valid IRC channel");
    const connection = await this.connectionFor(message);
    const kind =
      message.msgtype === "m.emote" ? "ACTION" : message.msgtype === "m.notice" ? "NOTICE" : "PRIVMSG";
    const text = message.media
      ? this.mediaText(message)
      : matrixToIrc({ body: message.body, ...(message.html !== undefined && { html: message.html }) });
    const budget = privmsgBudget({
      nick: connection.nick,
      user: "matrix",
      host: "",
      target: message.remoteRoomId,
      command: kind === "NOTICE" ? "NOTICE" : "PRIVMSG",
      action: kind === "ACTION",
    });
    let lines = splitMessage(text, budget, { carryFormatting: true });
    // A paste of many lines would flood the channel: past `max_lines` lines of its own it goes out as a link. A long
    // paragraph is one line of its own and goes out whole, split to fit.
    if (text.split("\n").length > this.config.max_lines)
      lines = await this.asUploadedText(text, lines, budget);
    connection.sendLines(kind, message.remoteRoomId, lines);
    return { remoteMessageId: remoteMessageId(`out-${Date.now()}-${this.nextId++}`) };
  }

  /** Links to Matrix media: the configured public URL, else where the bridge reaches the homeserver. */
  private get mediaBase(): string {
    return this.config.media_url ?? this.ctx.homeserverUrl;
  }

  /** Media goes to IRC as its name and a link. */
  private mediaText(message: MatrixMessage): string {
    const media = message.media!;
    const base = this.mediaBase;
    const [server, id] = media.url.slice("mxc://".length).split("/");
    return `${media.filename}: ${base.replace(/\/$/, "")}/_matrix/media/v3/download/${server}/${id}`;
  }

  /** A message longer than `max_lines` lines goes out as its first line and a link to the whole text. */
  private async asUploadedText(text: string, lines: string[], budget: number): Promise<string[]> {
    const base = this.mediaBase;
    const url = await this.ctx.media.upload(
      new TextEncoder().encode(text),
      "text/plain; charset=utf-8",
      "message.txt",
    );
    const [server, id] = url.slice("mxc://".length).split("/");
    const link = `${base.replace(/\/$/, "")}/_matrix/media/v3/download/${server}/${id}`;
    const first = lines[0] ?? "";
    return splitMessage(
      `${first.length > 100 ? `${first.slice(0, 100)}…` : first} (full message: ${link})`,
      budget,
    );
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
