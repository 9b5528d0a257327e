// A Discord API emulator for the tests: REST (v10) and the gateway on one port of 127.0.0.1, close enough to Discord
// that an unmodified discord.js Client connects to it (`rest: { api: emulator.apiUrl }`; the gateway URL comes from
// GET /gateway/bot; pictures come from `cdnUrl`, discord.js's `rest.cdn`). The test drives the Discord side through
// the methods below (guilds, channels, users, what they say and do, direct messages, and faults: a dropped gateway
// connection, 429s) and through `admin` (roles, pictures, threads, kicks and bans: discord-admin.ts). It is a test
// double: permissions from roles but no channel overwrites, no intents, no sharding, no interactions, no voice, no
// link previews of its own; the README lists what it covers.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  APIEmbed,
  APIGuildMember,
  APIMessage,
  APINewsChannel,
  APIStickerItem,
  APITextChannel,
  APIUser,
} from "discord-api-types/v10";
import { ChannelType, GatewayDispatchEvents } from "discord-api-types/v10";
import { DiscordAdmin } from "./discord-admin.ts";
import { DiscordGateway, type GatewayCounts } from "./discord-gateway.ts";
import { DiscordRest, type RestRequest } from "./discord-rest.ts";
import { BOT_PERMISSIONS, role } from "./discord-shapes.ts";
import { DiscordState, type GatewayEvent } from "./discord-state.ts";

const API_PREFIX = "/api/v10";

export interface RestCall {
  method: string;
  path: string;
  status: number;
  at: number;
}

export class DiscordEmulator {
  readonly botToken: string;
  readonly bot: APIUser;
  /** Every REST call the emulator answered (rate-limited ones with status 429), oldest first. */
  readonly calls: RestCall[] = [];
  private pendingRateLimits: { count: number; retryAfterSeconds: number } = {
    count: 0,
    retryAfterSeconds: 0,
  };

  readonly url: string;
  /** Roles, pictures, threads, kicks and bans. */
  readonly admin: DiscordAdmin;
  private readonly server: Server;
  private readonly state: DiscordState;
  private readonly gateway: DiscordGateway;
  private readonly rest: DiscordRest;

  private constructor(parts: {
    server: Server;
    url: string;
    state: DiscordState;
    gateway: DiscordGateway;
    rest: DiscordRest;
    botToken: string;
    bot: APIUser;
  }) {
    this.server = parts.server;
    this.url = parts.url;
    this.state = parts.state;
    this.gateway = parts.gateway;
    this.rest = parts.rest;
    this.botToken = parts.botToken;
    this.bot = parts.bot;
    this.admin = new DiscordAdmin(parts.state, parts.rest, (e) => this.send(e));
  }

  static async start(options: { botName?: string } = {}): Promise<DiscordEmulator> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const state = new DiscordState(url);
    const bot = state.addUser({ username: options.botName ?? "Bridge", bot: true });
    const botToken = `${Buffer.from(bot.id).toString("base64url")}.${randomBytes(18).toString("base64url")}`;
    const gatewayUrl = `${url.replace("http", "ws")}/gateway`;
    const gateway = new DiscordGateway(state, botToken, () => bot.id, gatewayUrl);
    const rest = new DiscordRest({
      state,
      botToken,
      bot: () => bot,
      gatewayUrl,
      dispatch: (e) => gateway.dispatch(e),
    });
    const emulator = new DiscordEmulator({ server, url, state, gateway, rest, botToken, bot });
    server.on("request", (req, res) => void emulator.serve(req, res));
    server.on("upgrade", (req, socket, head) => {
      if (new URL(req.url ?? "/", url).pathname === "/gateway") gateway.upgrade(req, socket, head);
      else socket.destroy();
    });
    return emulator;
  }

  /** The REST base discord.js takes as `rest.api` (it appends `/v10`). */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** Where avatars, icons and stickers are served: discord.js's `rest.cdn`. */
  get cdnUrl(): string {
    return `${this.url}/cdn`;
  }

  /** The avatar a webhook message was sent with, if any. */
  webhookAvatarOf(messageId: string): string | undefined {
    return this.rest.webhookAvatars.get(messageId)?.url;
  }

  /** What the emulator got fetching that avatar as Discord does, with no credentials. */
  webhookAvatarFetched(messageId: string): Promise<{ status: number; data: Uint8Array }> | undefined {
    return this.rest.webhookAvatars.get(messageId)?.fetched;
  }

  get gatewayCounts(): GatewayCounts {
    return this.gateway.counts;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", this.url);
    const file = this.state.files.get(url.pathname);
    if (req.method === "GET" && file !== undefined) {
      res.writeHead(200, { "content-type": file.contentType }).end(file.data);
      return;
    }
    if (!url.pathname.startsWith(API_PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    const request: RestRequest = {
      method: req.method ?? "GET",
      path: url.pathname.slice(API_PREFIX.length),
      query: url.searchParams,
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      auditReason: decodeAuditReason(req.headers["x-audit-log-reason"]),
      body: Buffer.concat(chunks),
    };
    const answer =
      this.pendingRateLimits.count > 0 && !request.path.startsWith("/gateway")
        ? this.rateLimited()
        : await this.rest.handle(request);
    this.calls.push({ method: request.method, path: request.path, status: answer.status, at: Date.now() });
    const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(body !== undefined && { "content-type": "application/json" }),
      ...answer.headers,
    });
    res.end(body);
  }

  private rateLimited() {
    const { retryAfterSeconds } = this.pendingRateLimits;
    this.pendingRateLimits.count--;
    return {
      status: 429,
      body: { message: "You are being rate limited.", retry_after: retryAfterSeconds, global: false },
      headers: {
        "retry-after": String(retryAfterSeconds),
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": String(retryAfterSeconds),
        "x-ratelimit-bucket": "emulated",
        "x-ratelimit-scope": "user",
      },
    };
  }

  /** The next `count` REST calls (other than the gateway's) answer 429 with `retry_after`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void {
    this.pendingRateLimits = { count, retryAfterSeconds };
  }

  /** Cuts the gateway connections as a network failure would; discord.js resumes and gets what it missed. */
  dropGateway(): number {
    return this.gateway.dropConnections();
  }

  connectedSessions(): number {
    return this.gateway.connectedSessions();
  }

  private send(event: GatewayEvent): void {
    this.gateway.dispatch(event);
  }

  createUser(username: string, globalName?: string): APIUser {
    return this.state.addUser({ username, ...(globalName !== undefined && { global_name: globalName }) });
  }

  /** A guild owned by `owner`, with the owner and the bot as members, the bot with the role its invite asks for. */
  createGuild(name: string, owner: APIUser): string {
    const record = this.state.addGuild(name, owner);
    const botRole = this.state.snowflake();
    record.guild.roles.push(
      role({ id: botRole, name: this.bot.username, permissions: BOT_PERMISSIONS, position: 1 }),
    );
    this.state.addMember(record.guild.id, this.bot).roles.push(botRole);
    this.state.addMember(record.guild.id, owner);
    this.send(this.state.guildCreate(record.guild.id));
    return record.guild.id;
  }

  createChannel(
    guildId: string,
    name: string,
    topic?: string,
    type: ChannelType.GuildText | ChannelType.GuildAnnouncement = ChannelType.GuildText,
  ): APITextChannel | APINewsChannel {
    const channel = this.state.addChannel(guildId, name, topic, type);
    this.send({ t: GatewayDispatchEvents.ChannelCreate, d: channel });
    return channel;
  }

  addMember(guildId: string, user: APIUser, nick?: string): APIGuildMember {
    const member = this.state.addMember(guildId, user, nick);
    this.send({ t: GatewayDispatchEvents.GuildMemberAdd, d: { ...member, guild_id: guildId } });
    return member;
  }

  setNick(guildId: string, userId: string, nick: string | null): void {
    const member = this.state.member(guildId, userId);
    member.nick = nick;
    this.send({ t: GatewayDispatchEvents.GuildMemberUpdate, d: { ...member, guild_id: guildId } });
  }

  removeMember(guildId: string, userId: string): void {
    this.rest.removeMember(guildId, userId);
  }

  /** `user` writes in the channel; resolves with the message as Discord stores it. */
  say(
    channelId: string,
    user: APIUser,
    content: string,
    options: {
      replyTo?: string;
      files?: { name: string; data: Uint8Array; contentType: string }[];
      embeds?: APIEmbed[];
      stickers?: APIStickerItem[];
    } = {},
  ): APIMessage {
    const { message, event } = this.state.postMessage(channelId, user, {
      content,
      attachments: this.state.attach(channelId, options.files ?? []),
      ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
      ...(options.embeds !== undefined && { embeds: options.embeds }),
      ...(options.stickers !== undefined && { stickers: options.stickers }),
    });
    this.send(event);
    return message;
  }

  /** `user` writes to the bot in a direct message; returns the DM channel's id. */
  sayDirect(user: APIUser, content: string): string {
    const channel = this.state.directChannelWith(user);
    this.send(this.state.postMessage(channel.id, user, { content }).event);
    return channel.id;
  }

  edit(channelId: string, messageId: string, content: string): void {
    this.send(this.state.editMessage(channelId, messageId, content));
  }

  delete(channelId: string, messageId: string): void {
    this.send(this.state.deleteMessage(channelId, messageId));
  }

  /** `emoji` is a unicode emoji or a custom one as `name:id`. */
  react(channelId: string, messageId: string, user: APIUser, emoji: string, add = true): void {
    this.send(this.rest.reactionEvent(add, channelId, messageId, user.id, emoji));
  }

  typing(channelId: string, user: APIUser): void {
    this.send(this.rest.typingEvent(channelId, user.id));
  }

  /** The channel's messages, oldest first. */
  messages(channelId: string): APIMessage[] {
    return [...(this.state.messages.get(channelId) ?? [])];
  }

  /** Waits for a message in the channel that `accept` takes (polling the model; Discord has no other clock). */
  async waitForMessage(
    channelId: string,
    accept: (message: APIMessage) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<APIMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages(channelId).find(accept);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} in channel ${channelId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  webhooksOf(channelId: string): string[] {
    return [...this.state.webhooks.values()]
      .filter((w) => w.webhook.channel_id === channelId)
      .map((w) => w.webhook.id);
  }

  async stop(): Promise<void> {
    this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function decodeAuditReason(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" ? decodeURIComponent(header) : undefined;
}
