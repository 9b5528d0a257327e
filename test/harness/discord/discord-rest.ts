// The emulator's REST API (v10, under /api/v10): the routes a bot and its webhooks use, answered from DiscordState,
// each change also sent through the gateway. Requests need the bot token (`Authorization: Bot …`) except webhook
// executions, which carry the webhook's token in the path as Discord's do. Bodies are JSON or multipart/form-data
// (`payload_json` and `files[n]`).

import type { APIEmbed, APIMessage, APIUser } from "discord-api-types/v10";
import { AuditLogEvent, GatewayDispatchEvents, PermissionFlagsBits } from "discord-api-types/v10";
import { permissionsOf } from "./discord-shapes.ts";
import { type DiscordState, type GatewayEvent, NotFound } from "./discord-state.ts";

export interface RestRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  /** `X-Audit-Log-Reason`, URI-encoded as discord.js sends it. */
  auditReason: string | undefined;
  body: Uint8Array;
}

export interface RestAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface ParsedBody {
  json: Record<string, unknown>;
  files: { name: string; data: Uint8Array; contentType: string }[];
}

type Handler = (match: string[], request: RestRequest, body: ParsedBody) => RestAnswer | Promise<RestAnswer>;

const ok = (body: unknown): RestAnswer => ({ status: 200, body });

/** Answered 403 with Discord's "Missing Permissions" code, as Discord answers a bot without the permission. */
class MissingPermissions extends Error {}
const noContent: RestAnswer = { status: 204 };

export class DiscordRest {
  private readonly routes: [string, RegExp, Handler, { noAuth?: true }][] = [];
  /**
   * The avatar each webhook message was sent with (`avatar_url`), by message id, and what fetching it gave: Discord
   * fetches the picture itself, with no credentials of the bridge's.
   */
  readonly webhookAvatars = new Map<
    string,
    { url: string; fetched: Promise<{ status: number; data: Uint8Array }> }
  >();

  private readonly state: DiscordState;
  private readonly botToken: string;
  private readonly bot: () => APIUser;
  private readonly gatewayUrl: string;
  private readonly dispatch: (event: GatewayEvent) => void;

  constructor(options: {
    state: DiscordState;
    botToken: string;
    bot: () => APIUser;
    gatewayUrl: string;
    dispatch: (event: GatewayEvent) => void;
  }) {
    this.state = options.state;
    this.botToken = options.botToken;
    this.bot = options.bot;
    this.gatewayUrl = options.gatewayUrl;
    this.dispatch = options.dispatch;
    this.defineRoutes();
  }

  private route(method: string, pattern: string, handler: Handler, options: { noAuth?: true } = {}): void {
    const regex = new RegExp(`^${pattern.replace(/:\w+/g, "([^/]+)")}$`);
    this.routes.push([method, regex, handler, options]);
  }

  async handle(request: RestRequest): Promise<RestAnswer> {
    for (const [method, regex, handler, options] of this.routes) {
      const match = regex.exec(request.path);
      if (match === null || method !== request.method) continue;
      if (options.noAuth !== true && request.authorization !== `Bot ${this.botToken}`) {
        return { status: 401, body: { message: "401: Unauthorized", code: 0 } };
      }
      try {
        const params = match.slice(1).map(decodeURIComponent);
        return await handler(params, request, await parseBody(request));
      } catch (err) {
        if (err instanceof NotFound) return { status: 404, body: { message: err.message, code: err.code } };
        if (err instanceof MissingPermissions)
          return { status: 403, body: { message: "Missing Permissions", code: 50013 } };
        return { status: 400, body: { message: String(err), code: 50035 } };
      }
    }
    return { status: 404, body: { message: "404: Not Found", code: 0 } };
  }

  private defineRoutes(): void {
    const s = this.state;
    this.route("GET", "/users/@me", () => ok(this.bot()));
    this.route("GET", "/users/:user", ([id]) => ok(s.users.get(id ?? "") ?? notFound("Unknown User", 10013)));
    this.route("GET", "/gateway", () => ok({ url: this.gatewayUrl }));
    this.route("GET", "/gateway/bot", () =>
      ok({
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      }),
    );
    this.route("GET", "/channels/:channel", ([id]) =>
      ok(s.directChannels.get(id ?? "") ?? s.channel(id ?? "").channel),
    );
    this.route("POST", "/users/@me/channels", (_, __, body) =>
      ok(s.directChannelWith(s.user(String(body.json["recipient_id"])))),
    );
    this.route("GET", "/channels/:channel/messages", ([id], request) =>
      ok(messagesPage(s.messages.get(id ?? "") ?? notFound("Unknown Channel", 10003), request.query)),
    );
    this.route("GET", "/channels/:channel/messages/:message", ([c, m]) => ok(s.message(c ?? "", m ?? "")));
    this.route("POST", "/channels/:channel/messages", ([c], _, body) =>
      ok(this.post(c ?? "", this.bot(), body)),
    );
    this.route("PATCH", "/channels/:channel/messages/:message", ([c, m], _, body) =>
      ok(this.edit(c ?? "", m ?? "", body)),
    );
    this.route("DELETE", "/channels/:channel/messages/:message", ([c, m]) => {
      this.dispatch(s.deleteMessage(c ?? "", m ?? ""));
      return noContent;
    });
    for (const method of ["PUT", "DELETE"]) {
      this.route(method, "/channels/:channel/messages/:message/reactions/:emoji/@me", ([c, m, emoji]) => {
        this.dispatch(this.reactionEvent(method === "PUT", c ?? "", m ?? "", this.bot().id, emoji ?? ""));
        return noContent;
      });
    }
    this.route("POST", "/channels/:channel/typing", ([c]) => {
      this.dispatch(this.typingEvent(c ?? "", this.bot().id));
      return noContent;
    });
    this.route("GET", "/channels/:channel/webhooks", ([c]) =>
      ok([...s.webhooks.values()].filter((w) => w.channelId === c).map((w) => w.webhook)),
    );
    this.route("POST", "/channels/:channel/webhooks", ([c], _, body) => {
      this.requirePermission(s.channel(c ?? "").guild.guild.id, PermissionFlagsBits.ManageWebhooks);
      return ok(s.addWebhook(c ?? "", String(body.json["name"] ?? "webhook"), this.bot()).webhook);
    });
    this.route(
      "POST",
      "/webhooks/:webhook/:token",
      ([w, t], request, body) => {
        const hook = this.webhookIn(w ?? "", t ?? "", request.query);
        const author: APIUser = {
          id: hook.id,
          username: String(body.json["username"] ?? hook.name),
          discriminator: "0000",
          global_name: null,
          avatar: null,
          bot: true,
        };
        const message = this.post(hook.channelId, author, body, hook.id);
        const avatarUrl = body.json["avatar_url"];
        if (typeof avatarUrl === "string") {
          const fetched = fetch(avatarUrl).then(async (r) => ({
            status: r.status,
            data: new Uint8Array(await r.arrayBuffer()),
          }));
          // Read by a test or not at all: a failed fetch is an answer too, never an unhandled rejection.
          fetched.catch(() => undefined);
          this.webhookAvatars.set(message.id, { url: avatarUrl, fetched });
        }
        return request.query.get("wait") === "true" ? ok(message) : noContent;
      },
      { noAuth: true },
    );
    this.route(
      "PATCH",
      "/webhooks/:webhook/:token/messages/:message",
      ([w, t, m], request, body) =>
        ok(this.edit(this.webhookIn(w ?? "", t ?? "", request.query).channelId, m ?? "", body)),
      { noAuth: true },
    );
    this.route(
      "DELETE",
      "/webhooks/:webhook/:token/messages/:message",
      ([w, t, m], request) => {
        this.dispatch(s.deleteMessage(this.webhookIn(w ?? "", t ?? "", request.query).channelId, m ?? ""));
        return noContent;
      },
      { noAuth: true },
    );
    this.route("POST", "/channels/:channel/messages/:message/threads", ([c, m], _, body) => {
      s.message(c ?? "", m ?? "");
      const thread = s.addThread(c ?? "", String(body.json["name"] ?? "thread"), this.bot(), m);
      this.dispatch({ t: GatewayDispatchEvents.ThreadCreate, d: { ...thread, newly_created: true } });
      return { status: 201, body: thread };
    });
    this.route("GET", "/guilds/:guild/threads/active", ([g]) => {
      const channels = [...s.guild(g ?? "").channels.values()];
      return ok({ threads: channels.filter((c) => "thread_metadata" in c), members: [] });
    });
    this.route("GET", "/guilds/:guild", ([g]) => ok(s.guild(g ?? "").guild));
    this.route("GET", "/guilds/:guild/channels", ([g]) => ok([...s.guild(g ?? "").channels.values()]));
    this.route("GET", "/guilds/:guild/roles", ([g]) => ok(s.guild(g ?? "").guild.roles));
    this.route("GET", "/guilds/:guild/members", ([g], request) =>
      ok([...s.guild(g ?? "").members.values()].slice(0, Number(request.query.get("limit") ?? 1))),
    );
    this.route("GET", "/guilds/:guild/members/:user", ([g, u]) => ok(s.member(g ?? "", u ?? "")));
    this.route("DELETE", "/guilds/:guild/members/:user", ([g, u], request) => {
      this.requirePermission(g ?? "", PermissionFlagsBits.KickMembers);
      this.kick(g ?? "", this.bot().id, u ?? "", request.auditReason, false);
      return noContent;
    });
    this.route("PUT", "/guilds/:guild/bans/:user", ([g, u], request) => {
      this.requirePermission(g ?? "", PermissionFlagsBits.BanMembers);
      this.kick(g ?? "", this.bot().id, u ?? "", request.auditReason, true);
      return noContent;
    });
    this.route("DELETE", "/guilds/:guild/bans/:user", ([g, u]) => {
      s.guild(g ?? "").bans.delete(u ?? "");
      this.dispatch({ t: GatewayDispatchEvents.GuildBanRemove, d: { guild_id: g, user: s.user(u ?? "") } });
      return noContent;
    });
  }

  private requirePermission(guildId: string, permission: bigint): void {
    const guild = this.state.guild(guildId);
    const roles = guild.members.get(this.bot().id)?.roles ?? [];
    if ((permissionsOf(guild.guild, this.bot().id, roles) & permission) === 0n)
      throw new MissingPermissions();
  }

  /**
   * `moderator` removes `userId` from the guild (and with `ban` keeps them out): the member's removal, then the audit
   * log entry naming who did it, as the gateway brings them.
   */
  kick(guildId: string, moderator: string, userId: string, reason: string | undefined, ban: boolean): void {
    const guild = this.state.guild(guildId);
    if (ban) {
      guild.bans.set(userId, { reason: reason ?? null });
      this.dispatch({
        t: GatewayDispatchEvents.GuildBanAdd,
        d: { guild_id: guildId, user: this.state.user(userId) },
      });
    }
    if (guild.members.has(userId)) this.removeMember(guildId, userId);
    else if (!ban) throw new NotFound("Unknown Member", 10007);
    this.dispatch({
      t: GatewayDispatchEvents.GuildAuditLogEntryCreate,
      d: {
        id: this.state.snowflake(),
        guild_id: guildId,
        user_id: moderator,
        target_id: userId,
        action_type: ban ? AuditLogEvent.MemberBanAdd : AuditLogEvent.MemberKick,
        ...(reason !== undefined && { reason }),
      },
    });
  }

  /** A webhook, and the channel its call writes in: its own, or (`?thread_id=`) a thread of it. */
  private webhookIn(
    id: string,
    token: string,
    query: URLSearchParams,
  ): { id: string; name: string; channelId: string } {
    const hook = this.webhook(id, token);
    const threadId = query.get("thread_id");
    if (threadId === null) return hook;
    const { channel } = this.state.channel(threadId);
    if (!("parent_id" in channel) || channel.parent_id !== hook.channelId)
      throw new NotFound("Unknown Channel", 10003);
    return { ...hook, channelId: threadId };
  }

  /** Webhook executions need no bot token, only the webhook's own (checked here). */
  private webhook(id: string, token: string): { id: string; name: string; channelId: string } {
    const record = this.state.webhooks.get(id);
    if (record === undefined || record.token !== token) throw new NotFound("Unknown Webhook", 10015);
    return { id, name: record.webhook.name ?? "webhook", channelId: record.channelId };
  }

  post(channelId: string, author: APIUser, body: ParsedBody, webhookId?: string): APIMessage {
    const content = String(body.json["content"] ?? "");
    const reference = body.json["message_reference"] as { message_id?: string } | undefined;
    const attachments = this.state.attach(channelId, body.files);
    if (content === "" && attachments.length === 0 && body.json["embeds"] === undefined)
      throw new Error("Cannot send an empty message");
    const embeds = Array.isArray(body.json["embeds"]) ? (body.json["embeds"] as APIEmbed[]) : [];
    const { message, event } = this.state.postMessage(channelId, author, {
      content,
      attachments,
      embeds,
      ...(reference?.message_id !== undefined && { replyTo: reference.message_id }),
      ...(webhookId !== undefined && { webhookId }),
    });
    this.dispatch(event);
    return message;
  }

  private edit(channelId: string, messageId: string, body: ParsedBody): APIMessage {
    this.dispatch(this.state.editMessage(channelId, messageId, String(body.json["content"] ?? "")));
    return this.state.message(channelId, messageId);
  }

  removeMember(guildId: string, userId: string): void {
    const guild = this.state.guild(guildId);
    this.state.member(guildId, userId);
    guild.members.delete(userId);
    this.dispatch({
      t: GatewayDispatchEvents.GuildMemberRemove,
      d: { guild_id: guildId, user: this.state.user(userId) },
    });
  }

  reactionEvent(
    add: boolean,
    channelId: string,
    messageId: string,
    userId: string,
    emoji: string,
  ): GatewayEvent {
    const { guild } = this.state.channel(channelId);
    this.state.message(channelId, messageId);
    const custom = /^(.+):(\d+)$/.exec(emoji);
    return {
      t: add ? GatewayDispatchEvents.MessageReactionAdd : GatewayDispatchEvents.MessageReactionRemove,
      d: {
        user_id: userId,
        channel_id: channelId,
        message_id: messageId,
        guild_id: guild.guild.id,
        emoji: custom !== null ? { name: custom[1], id: custom[2] } : { name: emoji, id: null },
        burst: false,
        type: 0,
        ...(add && guild.members.has(userId) && { member: guild.members.get(userId) }),
      },
    };
  }

  typingEvent(channelId: string, userId: string): GatewayEvent {
    const { guild } = this.state.channel(channelId);
    return {
      t: GatewayDispatchEvents.TypingStart,
      d: {
        channel_id: channelId,
        guild_id: guild.guild.id,
        user_id: userId,
        timestamp: Math.floor(Date.now() / 1000),
        ...(guild.members.has(userId) && { member: guild.members.get(userId) }),
      },
    };
  }
}

function notFound(message: string, code: number): never {
  throw new NotFound(message, code);
}

/** GET messages: newest first, at most `limit` (50 by default), before or after an id. */
function messagesPage(messages: APIMessage[], query: URLSearchParams): APIMessage[] {
  const limit = Math.min(Number(query.get("limit") ?? 50), 100);
  const after = query.get("after");
  const before = query.get("before");
  const newer = (a: string, b: string) => BigInt(a) > BigInt(b);
  if (after !== null) {
    return messages
      .filter((m) => newer(m.id, after))
      .slice(0, limit)
      .reverse();
  }
  const older = before === null ? messages : messages.filter((m) => newer(before, m.id));
  return older.slice(-limit).reverse();
}

async function parseBody(request: RestRequest): Promise<ParsedBody> {
  if (request.body.byteLength === 0) return { json: {}, files: [] };
  const type = request.contentType ?? "";
  if (!type.startsWith("multipart/form-data")) {
    return {
      json: JSON.parse(Buffer.from(request.body).toString("utf8")) as Record<string, unknown>,
      files: [],
    };
  }
  const form = await new Response(request.body, { headers: { "content-type": type } }).formData();
  const payload = form.get("payload_json");
  const files: ParsedBody["files"] = [];
  for (const [key, value] of form.entries()) {
    if (!key.startsWith("files[") || typeof value === "string") continue;
    files.push({
      name: value.name,
      data: new Uint8Array(await value.arrayBuffer()),
      contentType: value.type || "application/octet-stream",
    });
  }
  return { json: typeof payload === "string" ? JSON.parse(payload) : {}, files };
}
