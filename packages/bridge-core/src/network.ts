// The contract between bridge-core and a network plugin (IRC, XMPP, Telegram, Discord, …). A plugin only translates
// between this model and its protocol; rooms, ghosts, puppets, event mapping, formatting, commands and the application
// service API all live in the core. This file alone is enough to write a plugin: the factory, the plugin's methods
// (optional ones are capabilities), what the core hands it, and (network-remote-events.ts) what it reports back.

import type { EventId, MxcUri, RemoteMessageId, RemoteRoomId, RemoteUserId, UserId } from "./ids.ts";
import type { Logger } from "./log.ts";
import type { Command } from "./network-commands.ts";
import type { ConnectionStateReport, RemoteEvents } from "./network-remote-events.ts";
import type { RelayMarks, RichText } from "./rich-text.ts";
import type { SealedSecret } from "./store/secret-vault.ts";

export interface NetworkInfo {
  /** Short lowercase id: the bridge's protocol id in the registration and third-party lookups (`irc`). */
  id: string;
  /** Human name for messages and m.bridge (`IRC`). */
  displayName: string;
  /**
   * The default localpart template of ghosts, with `{id}` standing for the escaped remote user id (`irc_{id}`). The
   * admin may configure another (`network.ghost_template`); the plugin never computes a Matrix id from it.
   */
  ghostTemplate: string;
  /** The default localpart template of portal aliases, with `{id}` standing for the remote room id (`irc_{id}`). */
  aliasTemplate: string;
  /**
   * Matrix users have no identity of their own on this network (a bot-only API such as Telegram's), so every room
   * relays from the moment it is bridged instead of waiting for a moderator's `!relay on`.
   */
  relayByDefault?: boolean;
}

export interface RemoteRoomInfo {
  id: RemoteRoomId;
  name?: string;
  topic?: string;
  /** An image uploaded with `NetworkContext.media.upload`. */
  avatarUrl?: MxcUri;
  /** Whether anyone may join (`public`) or only those invited or knowing a key (`invite`). */
  joinRule?: "public" | "invite";
}

export interface RemoteUserInfo {
  id: RemoteUserId;
  displayName: string;
  /** An image uploaded with `NetworkContext.media.upload`. */
  avatarUrl?: MxcUri;
}

/**
 * Who a Matrix user's action goes out as: their own remote identity (single puppeting), or the bridge's own account
 * relaying for them, marking every line with their name (see RelayMarks in rich-text.ts).
 */
export type SendAs = { kind: "puppet"; remoteUserId: RemoteUserId } | { kind: "relay"; marks: RelayMarks };

/** What every action of a Matrix user handed to the plugin carries. */
interface MatrixSide {
  remoteRoomId: RemoteRoomId;
  /**
   * The Matrix user acting: an opaque key for the plugin (whose login or puppet connection to use, whose automatic
   * identity), never to be parsed.
   */
  sender: UserId;
  /** The sender's display name in the room, single-line and length-capped (a nick, a MUC nickname, a relay name). */
  senderName: string;
  as: SendAs;
  /** Set in a private chat: the remote user the event goes to (then `remoteRoomId` only names the chat). */
  direct?: RemoteUserId;
  /**
   * Set when the sender has an avatar in the room: a link anyone can open to it, made like OutgoingMedia.link (call it
   * when the link is sent), for a network that shows a picture beside a relayed sender (a Discord webhook).
   */
  senderAvatar?: () => string;
}

/** The kinds of text message, on both sides. */
export type TextKind = "text" | "emote" | "notice";

/** The kinds of file, on both sides. */
export type MediaKind = "image" | "file" | "audio" | "video";

/** A Matrix file handed to the plugin: as a link remote users can open, or as its bytes. */
export interface OutgoingMedia {
  kind: MediaKind;
  filename: string;
  mimetype?: string;
  size?: number;
  /**
   * A link anyone can open without a Matrix account, served by the bridge's media proxy, signed for this file and
   * valid for `media.link_lifetime_seconds`: call it when the link is sent, not earlier.
   */
  link(): string;
  /** The file's bytes, refusing files larger than `maxBytes`: for networks that take uploads (Telegram, XMPP). */
  download(maxBytes?: number): Promise<{ data: Uint8Array; contentType: string }>;
}

/** A message a Matrix user sent into a bridged room, in the form the plugin needs to send it on. */
export interface MatrixMessage extends MatrixSide {
  /**
   * The Matrix event this message is, as an opaque key that stays the same across retries and restarts: for a
   * plugin's own records of what it is sending (absent only if the homeserver sent none).
   */
  eventId?: EventId;
  /**
   * Set when an earlier attempt at this event may have reached the network: it failed part way, or the bridge stopped
   * or crashed before recording how it ended. A plugin that can see what the network got should check, and send only
   * what is missing, so that nothing goes out twice.
   */
  mayHaveBeenSent?: true;
  kind: TextKind;
  /** What the sender wrote; for a file, its caption (often just the file name). Relay marks are the plugin's to add. */
  text: RichText;
  /**
   * The message this one answers: `to` is its remote id when it was bridged (a network with replies threads it), and
   * `author` and `text` (its first line, shortened) let a network without replies quote it instead.
   */
  reply?: { to?: RemoteMessageId; author: string; text: string };
  /**
   * Set when the message was written in a Matrix thread whose first message was bridged: `root` is that message's
   * remote id, for a network with threads to put this one in the thread started from it.
   */
  thread?: { root: RemoteMessageId };
  media?: OutgoingMedia;
}

/** A Matrix user corrected a message of theirs that went out to the network as `target`. */
export interface MatrixEdit extends MatrixSide {
  target: RemoteMessageId;
  kind: TextKind;
  text: RichText;
}

export interface MatrixRedaction extends MatrixSide {
  target: RemoteMessageId;
  reason?: string;
}

/** A Matrix user reacted to `target` as their puppet (relayed reactions reach the network as a message). */
export interface MatrixReaction extends MatrixSide {
  target: RemoteMessageId;
  /** An emoji, or a custom image's shortcode as `:name:` (reactions with an image and no shortcode are not bridged). */
  key: string;
}

export interface MatrixTyping extends MatrixSide {
  typing: boolean;
}

export interface MatrixReadReceipt extends MatrixSide {
  upTo: RemoteMessageId;
}

/** A Matrix user changed the room's topic or name. */
export interface MatrixRoomChange extends MatrixSide {
  topic?: string;
  name?: string;
}

/** A Matrix user kicked or banned a ghost from a bridged room. */
export interface MatrixKick extends MatrixSide {
  target: RemoteUserId;
  reason?: string;
  ban: boolean;
}

/** A Matrix user changed users' power levels in a bridged room: each remote user's new level, where it changed. */
export interface MatrixPowerLevels extends MatrixSide {
  changes: { user: RemoteUserId; level: number }[];
}

/** Matrix presence states, which both sides are mapped onto. */
export type PresenceState = "online" | "unavailable" | "offline";

/** A Matrix user's presence changed: their remote identity shows it wherever it is present (rooms, contacts). */
export interface MatrixPresence {
  sender: UserId;
  remoteUserId: RemoteUserId;
  state: PresenceState;
  statusMsg?: string;
}

/** A Matrix user joined or left a bridged room (puppets follow them in and out of the remote room). */
export interface MatrixMembership extends MatrixSide {
  membership: "join" | "leave";
}

/**
 * Thrown by a plugin when the network refused something for good (no such user, not allowed, too long): the sender
 * is told at once. Any other error counts as passing trouble, and the core tries again before giving up.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentDeliveryError";
  }
}

/** The answer a plugin gives for something it delivered: the id the network gave it, if it gives one. */
export interface DeliveryResult {
  remoteMessageId?: RemoteMessageId;
}

/** Third-party lookups (`/_matrix/app/v1/thirdparty/...`), so clients can offer the network in their room directory. */
export interface ThirdPartyLookup {
  protocol: {
    user_fields: string[];
    location_fields: string[];
    icon: string;
    field_types: Record<string, { regexp: string; placeholder: string }>;
    instances: { desc: string; network_id: string; fields: Record<string, string>; icon?: string }[];
  };
  findRooms(fields: Record<string, string>): Promise<{ id: RemoteRoomId; fields: Record<string, string> }[]>;
  findUsers(fields: Record<string, string>): Promise<{ id: RemoteUserId; fields: Record<string, string> }[]>;
  roomFields(id: RemoteRoomId): Promise<Record<string, string> | null>;
  userFields(id: RemoteUserId): Promise<Record<string, string> | null>;
}

// Remote → Matrix: what a plugin reports (network-remote-events.ts).
export type {
  ConnectionState,
  ConnectionStateReport,
  RemoteDeletion,
  RemoteDirectMessage,
  RemoteEdit,
  RemoteEvents,
  RemoteKick,
  RemoteMembership,
  RemoteMessage,
  RemotePower,
  RemotePresence,
  RemoteReaction,
  RemoteReceipt,
  RemoteTyping,
} from "./network-remote-events.ts";

/** A Matrix user's remote identity, after logging in. */
export interface PuppetLogin {
  remoteUserId: RemoteUserId;
  /**
   * What the plugin needs to restore the session after a restart. It may hold credentials: the store keeps it sealed
   * (`store.key_file`), never readable in its files. The plugin registers any password in it with the logger.
   */
  session: Record<string, unknown>;
}

/**
 * What the core hands a plugin when it is made (NetworkFactory). Everything in it may be kept from the start; the
 * calls that reach the bridge's store (`storage`, `secrets`, `linkedRooms`, `savedLogins`) and `remote` work from
 * `start()` on, not in the factory.
 */
export interface NetworkContext {
  /** The plugin's own settings from `network.config`, unvalidated: the plugin checks them, once, when it is made. */
  config: Record<string, unknown>;
  logger: Logger;
  /** Where the plugin reports what happens on its network (network-remote-events.ts). */
  remote: RemoteEvents;
  media: {
    /** Uploads an image or file for use on Matrix (a ghost's or a room's avatar): an opaque handle to put in infos. */
    upload(data: Uint8Array, contentType: string, filename?: string): Promise<MxcUri>;
    /**
     * Uploads `data` and returns a link anyone can open to it, like OutgoingMedia.link: a long message sent as a text
     * file (IRC pastes).
     */
    uploadWithLink(data: Uint8Array, contentType: string, filename: string): Promise<string>;
    /**
     * Fetches a file from a link a remote user supplied (an XMPP out-of-band URL, a link preview), refusing links into
     * private networks and anything past `maxBytes`. Rejects with a `RemoteMediaError`, whose message may be shown to
     * the Matrix user.
     */
    fetchRemote(
      url: string,
      options: { maxBytes: number; timeoutMs?: number },
    ): Promise<{ data: Uint8Array; contentType: string; filename?: string }>;
  };
  /**
   * Sealing credentials the plugin keeps in `storage` (a NickServ password): AES-256-GCM under the bridge's one key
   * (`store.key_file`), each record bound to its Matrix user. What `open` gives back is registered with the logger,
   * so it never shows in a log line.
   */
  secrets: {
    seal(owner: UserId, plaintext: string): SealedSecret;
    /** The plaintext; null when `sealed` is not a record this key sealed for `owner` (or was tampered with). */
    open(owner: UserId, sealed: unknown): string | null;
  };
  /** The plugin's own durable records, kept in the bridge's store (JSON values by key). Seal credentials first. */
  storage: {
    get(key: string): Promise<unknown>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<void>;
  };
  /** The remote rooms bridged now (portals and plumbed rooms): what the plugin must be present in after a start. */
  linkedRooms(): Promise<RemoteRoomId[]>;
  /**
   * The Matrix alias of the portal a remote room has or would get (`#irc_#chan:example.org`), as the admin's alias
   * template makes it: for the plugin's own replies that point users to a room.
   */
  portalAlias(id: RemoteRoomId): string;
  /** The puppets that were logged in before this start, to reconnect. */
  savedLogins(): Promise<{ userId: UserId; login: PuppetLogin }[]>;
  /** How many puppet connections are up now, for the metrics. */
  puppetsConnected(count: number): void;
  /**
   * Reports a connection's state whenever it changes: the bridge's own (`connection: "bot"`), which /health and
   * /bridge_state follow, and each Matrix user's login or puppet, of which the user is told in their DM with the bot.
   * A plugin that never reports its bot connection counts as connected once `start()` resolves.
   */
  connectionState(report: ConnectionStateReport): void;
}

/**
 * A network plugin. The core calls, in this order: the factory (once per process start, with the context), `start()`
 * once, then any of the other methods, then `stop()` once. Methods marked optional are capabilities: the core uses
 * one when it is there, and a readable fallback when it is not (an edit goes out as a "* corrected" message, a
 * reaction as "name reacted with …", a reply as a quote). Every call about a bridged room comes from that room's one
 * ordered queue: the next call for the room waits until this one resolves, so a plugin keeps a room's order by
 * simply finishing each call before resolving. A call that throws is retried with growing pauses (the room waits),
 * unless it threw a PermanentDeliveryError; after the last try the sender is told in the room.
 */
export interface NetworkPlugin {
  readonly info: NetworkInfo;
  /**
   * Connects to the network; resolves once the bridge's own connection is up (or being retried) and the plugin can
   * take calls. Before it resolves, the core has resumed nothing and calls nothing else.
   */
  start(): Promise<void>;
  /** Closes every connection; called once, after the last call into the plugin has ended. */
  stop(): Promise<void>;
  /** Does this remote room exist (alias query, portal creation, link requests)? */
  resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null>;
  /** Does this remote user exist (user query, ghost creation)? */
  resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null>;
  /**
   * Who is in a remote room, at most `limit` of them (the most active first, where the network knows): the
   * ghosts joined when a portal is made. The rest join when they first speak, so big rooms stay cheap.
   */
  roomMembers?(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]>;
  /** Delivers a Matrix message to the remote room: resolve once the network has it, with the id it gave it. */
  sendMessage(message: MatrixMessage): Promise<DeliveryResult>;
  /** Edits; without it an edit goes out as a new message starting with "* ". */
  sendEdit?(edit: MatrixEdit): Promise<void>;
  /** Removals; without it a Matrix redaction is not bridged. */
  sendRedaction?(redaction: MatrixRedaction): Promise<void>;
  /** Reactions by puppets; without it (and for relayed users) a reaction goes out as a message. */
  sendReaction?(reaction: MatrixReaction): Promise<DeliveryResult>;
  /** Typing notifications of users with a remote identity. Tried once: a late one is worse than none. */
  sendTyping?(typing: MatrixTyping): Promise<void>;
  /** Read markers of users with a remote identity. Tried once. */
  sendReadReceipt?(receipt: MatrixReadReceipt): Promise<void>;
  /** A Matrix user with a remote identity joined or left a bridged room: the puppet follows. */
  handleMembership?(membership: MatrixMembership): Promise<void>;
  /** A Matrix user with a remote identity changed the room's topic or name. */
  handleRoomChange?(change: MatrixRoomChange): Promise<void>;
  /** A Matrix user with a remote identity kicked or banned a remote user. */
  handleKick?(kick: MatrixKick): Promise<void>;
  /** Power levels a Matrix user gave remote users (ghosts, or other Matrix users' remote identities). */
  handlePowerLevels?(change: MatrixPowerLevels): Promise<void>;
  /** A Matrix user with a remote identity changed presence (m.presence). Tried once. */
  sendPresence?(presence: MatrixPresence): Promise<void>;
  /**
   * Single puppeting: log `userId` in with what they typed after `login`: split into words (`args`), and as typed
   * (`text`: everything after the spaces that follow `login`, every character kept, for a password with spaces).
   * Resolve with the identity, or throw an Error whose message is shown to the user.
   */
  login?(userId: UserId, args: string[], text: string): Promise<PuppetLogin>;
  logout?(userId: UserId, login: PuppetLogin): Promise<void>;
  /** An identity the network gives every Matrix user without a login (XMPP component JIDs, IRC nicks), or null. */
  automaticIdentity?(userId: UserId): Promise<RemoteUserId | null>;
  /** The reverse: the Matrix user behind an automatic identity, so that what happens to it is not given a ghost. */
  matrixUserOf?(id: RemoteUserId): UserId | null;
  /**
   * Drops and remakes a connection (an admin's `reconnect`): the bridge's own for `"bot"`, else `userId`'s login or
   * puppet. Resolves once the new connection is asked for, not necessarily made; its state arrives through
   * `connectionState`. Rejects with an Error whose message is shown to the admin (no such connection).
   */
  reconnect?(connection: "bot" | UserId): Promise<void>;
  /** May `requester` link a Matrix room to this remote room? Resolve with an error message to refuse. */
  validateLink?(id: RemoteRoomId, requester: UserId): Promise<string | null>;
  readonly thirdParty?: ThirdPartyLookup;
  /** The plugin's own bot commands, beside the core's. */
  readonly commands?: Command[];
  /** Endpoints the network calls on the bridge (webhooks), served by the bridge's own HTTP server. */
  readonly httpRoutes?: NetworkHttpRoute[];
}

/**
 * A POST endpoint served at `/_network/<path>` on the bridge's HTTP server, for a network that pushes to the bridge
 * (a Telegram webhook). The core refuses callers without the secret before reading anything they send.
 */
export interface NetworkHttpRoute {
  /** Under `/_network/`: letters, digits, `_`, `-` and `/` (e.g. `telegram/webhook`). */
  path: string;
  /** The header the caller proves itself with, and the value it must carry. */
  secret: { header: string; value: string };
  /** Answers the JSON body; resolve with the HTTP status (and body) to answer with. */
  handle(body: unknown): Promise<{ status: number; body?: unknown }>;
}

/**
 * A network module's default export: makes the plugin from its context, its settings (`context.config`) checked
 * here, so that a bad setting stops the bridge before anything connects (throw an Error saying which). The core makes
 * a new plugin at every start of the bridge.
 */
export type NetworkFactory = (context: NetworkContext) => NetworkPlugin;
