// The remote side of the plugin contract (network.ts): what a plugin reports when something happens on its network.
// Each call is written to the bridge's store at once (a crash loses nothing), then takes its turn in the room's one
// ordered queue, the same queue the room's Matrix events go through; it resolves once it is bridged. Calls for one
// room are bridged in the order they were made, so a plugin reports a room's events in the network's order. Never
// wait for a report about a room from inside a call the core made for that same room (sendMessage, …): the report
// is queued behind that call, so the two would wait for each other. Start it and let it finish on its own.

import type { MxcUri, RemoteMessageId, RemoteRoomId, UserId } from "./ids.ts";
import type { MediaKind, PresenceState, RemoteRoomInfo, RemoteUserInfo, TextKind } from "./network.ts";
import type { RichText } from "./rich-text.ts";

interface RemoteSide {
  roomId: RemoteRoomId;
  sender: RemoteUserInfo;
}

export interface RemoteMessage extends RemoteSide {
  id: RemoteMessageId;
  /** `text` unless said otherwise. */
  kind?: TextKind;
  /**
   * What the sender wrote, in the neutral form (rich-text.ts): the plugin parses its network's formatting into it,
   * mentions as remote user ids; the core makes Matrix HTML and mention pills of it. For a file, its caption (may be
   * empty).
   */
  text: RichText;
  /** The message this one answers, when the network says so. */
  replyTo?: RemoteMessageId;
  /**
   * The message that started the thread this one is in, when the network has threads: on Matrix it is an m.thread
   * of that message's event (a plain message when that message was never bridged).
   */
  threadRoot?: RemoteMessageId;
  media?: {
    data: Uint8Array;
    mimetype: string;
    filename: string;
    kind: MediaKind;
  };
  /** Milliseconds since the epoch, when the network says when it was sent. */
  timestamp?: number;
}

export interface RemoteEdit extends RemoteSide {
  target: RemoteMessageId;
  text: RichText;
}

export interface RemoteDeletion extends RemoteSide {
  target: RemoteMessageId;
}

export interface RemoteReaction extends RemoteSide {
  id: RemoteMessageId;
  target: RemoteMessageId;
  /** An emoji; for a reaction with an `image`, its shortcode as `:name:`, which clients without images show. */
  key: string;
  /**
   * A custom emoji's picture, uploaded with `NetworkContext.media.upload` (once per emoji: keep the handle): the
   * reaction is that image on Matrix.
   */
  image?: MxcUri;
}

export interface RemoteTyping extends RemoteSide {
  typing: boolean;
}

export interface RemoteMembership extends RemoteSide {
  membership: "join" | "leave";
  reason?: string;
}

/** `sender` removed `target` from the remote room (and, with `ban`, keeps them out). */
export interface RemoteKick extends RemoteSide {
  target: RemoteUserInfo;
  reason?: string;
  ban: boolean;
}

/** A remote user's standing in the room changed: 0 for nobody special, 50 for moderators, 100 for owners. */
export interface RemotePower {
  roomId: RemoteRoomId;
  user: RemoteUserInfo;
  level: number;
}

/** A remote user has read everything up to `upTo`: their ghost's read receipt. */
export interface RemoteReceipt extends RemoteSide {
  upTo: RemoteMessageId;
}

/** A remote user's presence: their ghost shows it on Matrix. */
export interface RemotePresence {
  user: RemoteUserInfo;
  state: PresenceState;
  statusMsg?: string;
}

/** A remote user wrote privately to a Matrix user's remote identity. */
export interface RemoteDirectMessage extends Omit<RemoteMessage, "roomId" | "sender"> {
  from: RemoteUserInfo;
  to: UserId;
}

/** Callbacks a plugin calls when something happened on its network. Each resolves once it is bridged. */
export interface RemoteEvents {
  message(message: RemoteMessage): Promise<void>;
  directMessage(message: RemoteDirectMessage): Promise<void>;
  edit(edit: RemoteEdit): Promise<void>;
  deletion(deletion: RemoteDeletion): Promise<void>;
  reaction(reaction: RemoteReaction): Promise<void>;
  /** `reaction.id` names the reaction that was taken back. */
  reactionRemoved(reaction: {
    roomId: RemoteRoomId;
    sender: RemoteUserInfo;
    id: RemoteMessageId;
  }): Promise<void>;
  typing(typing: RemoteTyping): Promise<void>;
  membership(membership: RemoteMembership): Promise<void>;
  kick(kick: RemoteKick): Promise<void>;
  power(power: RemotePower): Promise<void>;
  profile(user: RemoteUserInfo): Promise<void>;
  roomInfo(room: RemoteRoomInfo): Promise<void>;
  presence(presence: RemotePresence): Promise<void>;
  receipt(receipt: RemoteReceipt): Promise<void>;
}

/**
 * The state of one of the plugin's connections to its network, in the `com.beeper.bridge_state` vocabulary of the
 * mautrix bridges. CONNECTING while it is being made; CONNECTED while it carries messages; TRANSIENT_DISCONNECT
 * while it is lost and being retried; BAD_CREDENTIALS when the network refused the login (retrying will not help);
 * UNKNOWN_ERROR for anything else that stops it; LOGGED_OUT when it was ended on purpose (a logout, an idle puppet).
 */
export type ConnectionState =
  | "CONNECTING"
  | "CONNECTED"
  | "TRANSIENT_DISCONNECT"
  | "BAD_CREDENTIALS"
  | "UNKNOWN_ERROR"
  | "LOGGED_OUT";

/** What a plugin reports through `NetworkContext.connectionState` whenever a connection changes state. */
export interface ConnectionStateReport {
  /** `bot`: the bridge's own connection (the IRC bot, the XMPP component, the Telegram bot); else whose login. */
  connection: "bot" | UserId;
  state: ConnectionState;
  /** Words a user can act on ("the IRC server closed the connection"); shown to them. Never a credential. */
  reason?: string;
  /** A short machine-readable cause (`io-error`, `auth-failed`), for dashboards. */
  error?: string;
  /** Which of several servers the connection is to, for a plugin that serves more than one (multi-server IRC). */
  instance?: string;
}
