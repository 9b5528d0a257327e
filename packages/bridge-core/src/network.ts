// The contract between bridge-core and a network plugin (IRC, XMPP, Telegram, …). A plugin only translates between
// this model and its protocol; rooms, ghosts, puppets, event mapping, commands and the application service API all
// live in the core. Required members are few; optional ones are capabilities the core uses when present, and the
// declared capabilities tell the core where to fall back to readable text instead.

import type { Command } from "./commands/registry.ts";
import type { EventId, MxcUri, RemoteMessageId, RemoteRoomId, RemoteUserId, RoomId, UserId } from "./ids.ts";
import type { Logger } from "./log.ts";
import type { ConnectionStateReport, RemoteEvents } from "./network-remote-events.ts";
import type { SealedSecret } from "./store/secret-vault.ts";

export interface NetworkCapabilities {
  edits: boolean;
  redactions: boolean;
  reactions: boolean;
  replies: boolean;
  typing: boolean;
  receipts: boolean;
  /** Largest message body the network accepts, in bytes; longer ones are the plugin's to split. */
  maxMessageBytes?: number;
  /**
   * The plugin writes relayed messages itself from `as.displayName` (in its network's own formatting), so the core
   * hands them on as the sender wrote them, HTML included, and sends relayed users' edits to `sendEdit`: for networks
   * where the bridge's own account can edit what it sent (Telegram bots).
   */
  formatsRelay?: boolean;
}

export interface NetworkInfo {
  /** Short lowercase id: the bridge's protocol id in the registration and third-party lookups (`irc`). */
  id: string;
  /** Human name for messages and m.bridge (`IRC`). */
  displayName: string;
  /** Localpart template of ghosts, with `{id}` standing for the escaped remote user id (`irc_{id}`). */
  ghostTemplate: string;
  /** Localpart template of portal aliases, with `{id}` standing for the remote room id (`irc_{id}`). */
  aliasTemplate: string;
  capabilities: NetworkCapabilities;
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
  avatarUrl?: MxcUri;
  /** Whether anyone may join (`public`) or only those invited or knowing a key (`invite`). */
  joinRule?: "public" | "invite";
}

export interface RemoteUserInfo {
  id: RemoteUserId;
  displayName: string;
  avatarUrl?: MxcUri;
}

/**
 * Who a Matrix event goes out as: the Matrix user's own remote identity (single puppeting), or the bridge's own
 * account relaying for them (the core has already put their name into the text).
 */
export type SendAs = { kind: "puppet"; remoteUserId: RemoteUserId } | { kind: "relay"; displayName: string };

interface MatrixSide {
  roomId: RoomId;
  remoteRoomId: RemoteRoomId;
  sender: UserId;
  as: SendAs;
  /** Set in a private chat: the remote user the event goes to (then `remoteRoomId` only names the chat). */
  direct?: RemoteUserId;
}

/** A message a Matrix user sent into a bridged room, in the form the plugin needs to send it on. */
export interface MatrixMessage extends MatrixSide {
  /** The Matrix event this message is (absent only if the homeserver sent none). */
  eventId?: EventId;
  /**
   * Set when an earlier attempt at this event may have reached the network: it failed part way, or the bridge stopped
   * or crashed before recording how it ended. A plugin that can see what the network got should check, and send only
   * what is missing, so that nothing goes out twice.
   */
  mayHaveBeenSent?: true;
  /** `m.text`, `m.emote`, `m.notice`, `m.image`, … */
  msgtype: string;
  /** Plain text; for relayed messages already in the relay template, for replies without reply support with a quote. */
  body: string;
  /**
   * Set when the core wrote the relay template into `body`: what it put before and after each line. A plugin that
   * splits a line into several messages (IRC's 512-byte lines) repeats them on every piece, so that no piece reads as
   * someone else's.
   */
  relayWrap?: { before: string; after: string };
  /** HTML as the sender wrote it, when they used formatting (the plugin converts what its network supports). */
  html?: string;
  /** The remote message this one answers, when the network supports replies and the original is bridged. */
  replyTo?: RemoteMessageId;
  /** For media messages: where the file is, and what it is. */
  media?: { url: MxcUri; mimetype?: string; size?: number; filename: string };
}

export interface MatrixEdit extends MatrixSide {
  target: RemoteMessageId;
  body: string;
  html?: string;
}

export interface MatrixRedaction extends MatrixSide {
  target: RemoteMessageId;
  reason?: string;
}

export interface MatrixReaction extends MatrixSide {
  target: RemoteMessageId;
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

/** What the core hands a plugin when it starts. */
export interface NetworkContext {
  logger: Logger;
  /** The plugin's own settings from `network.config`, unvalidated: the plugin checks them. */
  config: Record<string, unknown>;
  /**
   * Where the bridge reaches the homeserver (for the homeserver's public APIs). Not for links remote users open: the
   * homeserver serves media only to Matrix users; `media.publicLink` makes those.
   */
  homeserverUrl: string;
  remote: RemoteEvents;
  media: {
    download(url: MxcUri, maxBytes?: number): Promise<{ data: Uint8Array; contentType: string }>;
    upload(data: Uint8Array, contentType: string, filename?: string): Promise<MxcUri>;
    /**
     * A link anyone can open, without a Matrix account, to a Matrix file: served by the bridge's media proxy under
     * `media.public_url`, signed for this one file (and name), valid for `media.link_lifetime_seconds`. For networks
     * that get files as links (IRC; XMPP without an upload service). Make it when the link is sent, not earlier.
     */
    publicLink(url: MxcUri, filename?: string): string;
    /** Uploads `data` to the homeserver and returns a `publicLink` to it: a long message sent as a text file. */
    uploadWithLink(data: Uint8Array, contentType: string, filename: string): Promise<string>;
    /**
     * Fetches a file from a link a remote user supplied (an XMPP out-of-band URL, a link preview), refusing links into
     * private networks and anything past `maxBytes`. Rejects with a `RemoteMediaError`, whose message may be shown to
     * the Matrix user. The bridge always provides it; optional so that contexts built elsewhere (test harnesses) need
     * not.
     */
    fetchRemote?(
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
  /** The puppets that were logged in before this start, to reconnect. */
  savedLogins(): Promise<{ userId: UserId; login: PuppetLogin }[]>;
  /** How many puppet connections are up now, for the metrics. */
  puppetsConnected(count: number): void;
  /**
   * Reports a connection's state whenever it changes: the bridge's own (`connection: "bot"`), which /health and
   * /bridge_state follow, and each Matrix user's login or puppet, of which the user is told in their DM with the bot.
   * The bridge always provides it; optional so that contexts built elsewhere (test harnesses) need not.
   */
  connectionState?(report: ConnectionStateReport): void;
}

export interface NetworkPlugin {
  readonly info: NetworkInfo;
  start(context: NetworkContext): Promise<void>;
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
  /** Deliver a Matrix message to the remote room; throw to report that it could not be delivered. */
  sendMessage(message: MatrixMessage): Promise<DeliveryResult>;

  sendEdit?(edit: MatrixEdit): Promise<void>;
  sendRedaction?(redaction: MatrixRedaction): Promise<void>;
  sendReaction?(reaction: MatrixReaction): Promise<DeliveryResult>;
  sendTyping?(typing: MatrixTyping): Promise<void>;
  sendReadReceipt?(receipt: MatrixReadReceipt): Promise<void>;
  handleMembership?(membership: MatrixMembership): Promise<void>;
  handleRoomChange?(change: MatrixRoomChange): Promise<void>;
  handleKick?(kick: MatrixKick): Promise<void>;
  /** Power levels a Matrix user gave remote users (ghosts, or other Matrix users' remote identities). */
  handlePowerLevels?(change: MatrixPowerLevels): Promise<void>;
  /** A Matrix user with a remote identity changed presence (m.presence). */
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

/** A network module's default export: builds the plugin from nothing but its settings. */
export type NetworkFactory = (options: { config: Record<string, unknown> }) => NetworkPlugin;
