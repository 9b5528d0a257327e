// Several IRC servers behind one bridge: one IrcNetwork per configured server, each unaware of the others, and this
// composite between them and the core. The core knows one network with one id space, so every remote id carries its
// server's key in front (`libera.#chan`, `libera.nick`): ids going to a server lose the prefix, ids coming from it
// gain it, mentions in messages included. With the core's `irc_{id}` templates that makes portals
// `#irc_libera.#chan:domain` and ghosts `@irc_libera.nick:domain`; the same nick on two servers is two ghosts.

import {
  type Command,
  CommandUsageError,
  type DeliveryResult,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixRoomChange,
  type NetworkContext,
  type NetworkInfo,
  type NetworkPlugin,
  type RemoteEvents,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  type RichNode,
  type RichText,
  remoteRoomId,
  remoteUserId,
  type SendAs,
  type UserId,
} from "bridge-core";
import type { MultiServerIrcConfig } from "./config.ts";
import { IrcNetwork } from "./irc-network.ts";

/**
 * Between the server key and the server's own id. Kept as-is both in ghost localparts and in aliases, and found in
 * no key, so the first one always ends the key. Not `/`: Synapse leaves `/` unescaped in the path of its alias and
 * user queries to the bridge (`/_matrix/app/v1/rooms/%23irc_libera/%23chan:…`), which then names no route.
 */
export const SERVER_SEPARATOR = ".";

export function withServer(key: string, id: string): string {
  return `${key}${SERVER_SEPARATOR}${id}`;
}

/** The server key and the server's own id in a prefixed remote id, or null when it has no prefix. */
export function splitServerId(id: string): { key: string; id: string } | null {
  const at = id.indexOf(SERVER_SEPARATOR);
  if (at <= 0 || at === id.length - 1) return null;
  return { key: id.slice(0, at), id: id.slice(at + 1) };
}

export interface ServerNetwork {
  key: string;
  network: NetworkPlugin;
}

/** A server's key, and how its network is made from the context the composite makes for it. */
export interface ServerFactory {
  key: string;
  create(context: NetworkContext): NetworkPlugin;
}

type Side = Pick<MatrixMessage, "remoteRoomId" | "sender" | "as" | "direct">;
type Mention = Extract<RichNode, { type: "mention" }>;

/** The rich text with each mention replaced by what `replace` makes of it. */
function mapMentions(rich: RichText, replace: (mention: Mention) => RichNode): RichText {
  return rich.map((node): RichNode => {
    switch (node.type) {
      case "mention":
        return replace(node);
      case "list":
        return { ...node, items: node.items.map((item) => mapMentions(item, replace)) };
      case "text":
      case "code":
      case "codeBlock":
        return node;
      default:
        return { ...node, children: mapMentions(node.children, replace) };
    }
  });
}

/** Mentions of a server's users (as it names them) with the server's key. */
function prefixedMentions(key: string, rich: RichText): RichText {
  return mapMentions(rich, (mention) => ({ ...mention, user: remoteUserId(withServer(key, mention.user)) }));
}

/** Mentions as the server `key` names its users; someone on another server is nobody there, and keeps the name. */
function localMentions(key: string, rich: RichText): RichText {
  return mapMentions(rich, (mention) => {
    const split = splitServerId(mention.user);
    return split?.key === key
      ? { ...mention, user: remoteUserId(split.id) }
      : { type: "text", text: mention.name };
  });
}

/** The RemoteEvents a server's network reports to: every room and user id it names gains the server's key. */
export function prefixedRemoteEvents(key: string, remote: RemoteEvents): RemoteEvents {
  const room = (id: RemoteRoomId) => remoteRoomId(withServer(key, id));
  const user = <U extends RemoteUserInfo>(info: U): U => ({
    ...info,
    id: remoteUserId(withServer(key, info.id)),
  });
  return {
    message: (m) =>
      remote.message({
        ...m,
        roomId: room(m.roomId),
        sender: user(m.sender),
        text: prefixedMentions(key, m.text),
      }),
    directMessage: (m) =>
      remote.directMessage({ ...m, from: user(m.from), text: prefixedMentions(key, m.text) }),
    edit: (e) =>
      remote.edit({
        ...e,
        roomId: room(e.roomId),
        sender: user(e.sender),
        text: prefixedMentions(key, e.text),
      }),
    deletion: (d) => remote.deletion({ ...d, roomId: room(d.roomId), sender: user(d.sender) }),
    reaction: (r) => remote.reaction({ ...r, roomId: room(r.roomId), sender: user(r.sender) }),
    reactionRemoved: (r) => remote.reactionRemoved({ ...r, roomId: room(r.roomId), sender: user(r.sender) }),
    typing: (t) => remote.typing({ ...t, roomId: room(t.roomId), sender: user(t.sender) }),
    membership: (m) => remote.membership({ ...m, roomId: room(m.roomId), sender: user(m.sender) }),
    kick: (k) =>
      remote.kick({ ...k, roomId: room(k.roomId), sender: user(k.sender), target: user(k.target) }),
    power: (p) => remote.power({ ...p, roomId: room(p.roomId), user: user(p.user) }),
    profile: (u) => remote.profile(user(u)),
    roomInfo: (r) => remote.roomInfo({ ...r, id: room(r.id) }),
    presence: (p) => remote.presence({ ...p, user: user(p.user) }),
    receipt: (r) => remote.receipt({ ...r, roomId: room(r.roomId), sender: user(r.sender) }),
  };
}

/**
 * The one command set the core gets when there are several servers: each command takes the server's key first
 * (`!nick libera alice`) and runs that server's command of the same name with the rest.
 */
function serverCommands(servers: ServerNetwork[]): Command[] {
  const keys = servers.map((s) => s.key).join(", ");
  return (servers[0]?.network.commands ?? []).map((command) => ({
    name: command.name,
    usage: `<server> ${command.usage ?? ""}`.trim(),
    summary: `${command.summary} (server: ${keys})`,
    run: async (ctx) => {
      const [key, ...args] = ctx.args;
      const server = servers.find((s) => s.key === key);
      if (server === undefined) {
        throw new CommandUsageError(
          key === undefined
            ? `Name the IRC server first: ${keys}.`
            : `"${key}" is not one of this bridge's IRC servers (${keys}).`,
        );
      }
      const own = server.network.commands?.find((c) => c.name === command.name);
      if (own === undefined) return ctx.reply(`${command.name} is not available on ${key}.`);
      // The server's command sees the line as if typed without the key.
      const text = ctx.text.replace(/^\S+\s*/u, "");
      await own.run({ ...ctx, args, text });
    },
  }));
}

export class MultiServerIrcNetwork implements NetworkPlugin {
  readonly info: NetworkInfo = {
    id: "irc",
    displayName: "IRC",
    ghostTemplate: "irc_{id}",
    aliasTemplate: "irc_{id}",
  };
  readonly commands: Command[];
  private readonly servers: ServerNetwork[];
  private readonly byKey = new Map<string, ServerNetwork>();
  /** Puppet connections up on each server, whose sum is the bridge's. */
  private readonly puppetCounts = new Map<string, number>();

  static fromConfig(context: NetworkContext, config: MultiServerIrcConfig): MultiServerIrcNetwork {
    return new MultiServerIrcNetwork(
      context,
      config.servers.map(({ key, ...settings }) => ({
        key,
        create: (serverContext) => new IrcNetwork(serverContext, settings),
      })),
    );
  }

  constructor(context: NetworkContext, servers: ServerFactory[]) {
    if (servers.length === 0) throw new Error("at least one IRC server is needed");
    this.servers = servers.map(({ key, create }) => {
      if (this.byKey.has(key)) throw new Error(`IRC server key ${key} is used twice`);
      const server = { key, network: create(this.contextFor(key, context)) };
      this.byKey.set(key, server);
      return server;
    });
    const [first] = this.servers;
    this.commands =
      this.servers.length === 1 ? (first?.network.commands ?? []) : serverCommands(this.servers);
  }

  async start(): Promise<void> {
    // A server that cannot be reached fails the start, as with one.
    const results = await Promise.allSettled(this.servers.map(({ network }) => network.start()));
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed === -1) return;
    await this.stop();
    const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
    throw new Error(`IRC server ${this.servers[failed]?.key}: ${(reason as Error)?.message ?? reason}`, {
      cause: reason,
    });
  }

  private contextFor(key: string, context: NetworkContext): NetworkContext {
    const own = (id: string) => {
      const split = splitServerId(id);
      return split?.key === key ? split.id : null;
    };
    // Users choose a nick and store a password per server, under keys of their own.
    const storageKey = (k: string) => `server:${key}:${k}`;
    return {
      logger: context.logger.child({ server: key }),
      config: context.config,
      remote: prefixedRemoteEvents(key, context.remote),
      media: context.media,
      secrets: context.secrets,
      storage: {
        get: (k) => context.storage.get(storageKey(k)),
        put: (k, value) => context.storage.put(storageKey(k), value),
        delete: (k) => context.storage.delete(storageKey(k)),
      },
      linkedRooms: async () =>
        (await context.linkedRooms()).flatMap((id) => {
          const local = own(id);
          return local === null ? [] : [remoteRoomId(local)];
        }),
      portalAlias: (id) => context.portalAlias(remoteRoomId(withServer(key, id))),
      savedLogins: async () =>
        (await context.savedLogins()).flatMap(({ userId, login }) => {
          const local = own(login.remoteUserId);
          return local === null ? [] : [{ userId, login: { ...login, remoteUserId: remoteUserId(local) } }];
        }),
      puppetsConnected: (count) => {
        this.puppetCounts.set(key, count);
        context.puppetsConnected([...this.puppetCounts.values()].reduce((a, b) => a + b, 0));
      },
      // Each server's connections are told apart by its key.
      connectionState: (report) => context.connectionState({ ...report, instance: key }),
    };
  }

  /** An admin's `reconnect`: the same connection on every server (the bot's, or the user's where they have one). */
  async reconnect(connection: "bot" | UserId): Promise<void> {
    const results = await Promise.allSettled(
      this.servers.map(
        ({ network }) => network.reconnect?.(connection) ?? Promise.reject(new Error("no reconnect")),
      ),
    );
    if (results.every((r) => r.status === "rejected")) throw (results[0] as PromiseRejectedResult).reason;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map(({ network }) => network.stop()));
  }

  /** The server a prefixed id belongs to, and the id as that server knows it. */
  private route(id: string): { server: ServerNetwork; id: string } | null {
    const split = splitServerId(id);
    const server = split === null ? undefined : this.byKey.get(split.key);
    return server === undefined || split === null ? null : { server, id: split.id };
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    const to = this.route(id);
    const info = to === null ? null : await to.server.network.resolveRoom(remoteRoomId(to.id));
    return info === null || to === null
      ? null
      : { ...info, id: remoteRoomId(withServer(to.server.key, info.id)) };
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    const to = this.route(id);
    const info = to === null ? null : await to.server.network.resolveUser(remoteUserId(to.id));
    return info === null || to === null
      ? null
      : { ...info, id: remoteUserId(withServer(to.server.key, info.id)) };
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const to = this.route(id);
    if (to === null) return [];
    const members = (await to.server.network.roomMembers?.(remoteRoomId(to.id), limit)) ?? [];
    return members.map((m) => ({ ...m, id: remoteUserId(withServer(to.server.key, m.id)) }));
  }

  async validateLink(id: RemoteRoomId, requester: UserId): Promise<string | null> {
    const to = this.route(id);
    if (to === null) return this.unknownServer(id);
    return (await to.server.network.validateLink?.(remoteRoomId(to.id), requester)) ?? null;
  }

  private unknownServer(id: string): string {
    const examples = this.servers.map((s) => withServer(s.key, "#channel")).join(", ");
    return `${id} names none of this bridge's IRC servers; write the server's key first (${examples})`;
  }

  matrixUserOf(id: RemoteUserId): UserId | null {
    const to = this.route(id);
    return to === null ? null : (to.server.network.matrixUserOf?.(remoteUserId(to.id)) ?? null);
  }

  /**
   * The core asks for one identity per Matrix user, with no room in view: the first server (in the configured
   * order) that gives the user a puppet answers. Each call to a server then asks that server again (see `asOn`).
   */
  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    for (const { key, network } of this.servers) {
      const identity = await network.automaticIdentity?.(userId);
      if (identity != null) return remoteUserId(withServer(key, identity));
    }
    return null;
  }

  /** Who the user speaks as on this server: their puppet there, or null when this server cannot give them one. */
  private async asOn(server: ServerNetwork, as: SendAs, sender: UserId): Promise<SendAs | null> {
    if (as.kind === "relay") return as;
    const split = splitServerId(as.remoteUserId);
    if (split?.key === server.key) return { kind: "puppet", remoteUserId: remoteUserId(split.id) };
    const identity = await server.network.automaticIdentity?.(sender);
    return identity == null ? null : { kind: "puppet", remoteUserId: identity };
  }

  /**
   * A Matrix-side call as the server it goes to sees it. Private chats are routed by their peer (their room id is
   * the core's own key, not a server's id), everything else by its room.
   */
  private async toServer<T extends Side>(side: T): Promise<{ server: ServerNetwork; side: T } | null> {
    const to = this.route(side.direct ?? side.remoteRoomId);
    if (to === null) return null;
    const as = await this.asOn(to.server, side.as, side.sender);
    if (as === null) return null;
    const local: T = { ...side, as };
    if (side.direct !== undefined) local.direct = remoteUserId(to.id);
    else local.remoteRoomId = remoteRoomId(to.id);
    return { server: to.server, side: local };
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    const target = this.route(message.direct ?? message.remoteRoomId);
    if (target === null) throw new Error(this.unknownServer(message.direct ?? message.remoteRoomId));
    const to = await this.toServer(message);
    if (to === null) throw new Error(`you have no IRC connection of your own on ${target.server.key}`);
    return to.server.network.sendMessage({ ...to.side, text: localMentions(to.server.key, message.text) });
  }

  async handleRoomChange(change: MatrixRoomChange): Promise<void> {
    const to = await this.toServer(change);
    if (to !== null) await to.server.network.handleRoomChange?.(to.side);
  }

  async handleKick(kick: MatrixKick): Promise<void> {
    const to = await this.toServer(kick);
    // A ghost of another server is nobody in this server's channel.
    const target = splitServerId(kick.target);
    if (to === null || target?.key !== to.server.key) return;
    await to.server.network.handleKick?.({ ...to.side, target: remoteUserId(target.id) });
  }

  async handleMembership(membership: MatrixMembership): Promise<void> {
    const to = await this.toServer(membership);
    if (to !== null) await to.server.network.handleMembership?.(to.side);
  }
}
