// The contract between bridge-core and a network plugin (IRC, XMPP, Telegram, …). A plugin only translates between
// this model and its protocol; rooms, ghosts, puppets, event mapping, commands and the application service API all
// live in the core. Required members are few; optional ones are capabilities the core uses when present.

import type { MxcUri, RemoteMessageId, RemoteRoomId, RemoteUserId, RoomId, UserId } from "./ids.ts";
import type { Logger } from "./log.ts";

export interface NetworkCapabilities {
  edits: boolean;
  redactions: boolean;
  reactions: boolean;
  replies: boolean;
  typing: boolean;
  receipts: boolean;
  /** Largest message body the network accepts, in bytes; longer ones are the plugin's to split. */
  maxMessageBytes?: number;
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
}

export interface RemoteRoomInfo {
  id: RemoteRoomId;
  name?: string;
  topic?: string;
  avatarUrl?: MxcUri;
}

export interface RemoteUserInfo {
  id: RemoteUserId;
  displayName: string;
  avatarUrl?: MxcUri;
}

/** A message a Matrix user sent into a bridged room, in the form the plugin needs to send it on. */
export interface MatrixMessage {
  roomId: RoomId;
  remoteRoomId: RemoteRoomId;
  sender: UserId;
  /** `m.text`, `m.emote`, `m.notice`, … */
  msgtype: string;
  body: string;
  /** Sanitised HTML when the sender used formatting. */
  html?: string;
  content: Record<string, unknown>;
}

/** The answer a plugin gives for a message it delivered: the id the network gave it, if it gives one. */
export interface DeliveryResult {
  remoteMessageId?: RemoteMessageId;
}

/** Third-party lookups (`/_matrix/app/v1/thirdparty/...`), so clients can offer the network in their room directory. */
export interface ThirdPartyLookup {
  /** Field names and how clients should render them (the spec's `Protocol` object, minus `instances`). */
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

/** What the core hands a plugin when it starts. */
export interface NetworkContext {
  logger: Logger;
  /** The plugin's own settings from `network.config`, unvalidated: the plugin checks them. */
  config: Record<string, unknown>;
}

export interface NetworkPlugin {
  readonly info: NetworkInfo;
  start(context: NetworkContext): Promise<void>;
  stop(): Promise<void>;
  /** Does this remote room exist (alias query, portal creation)? */
  resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null>;
  /** Does this remote user exist (user query, ghost creation)? */
  resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null>;
  /** Deliver a Matrix message to the remote room; throw to report that it could not be delivered. */
  sendMessage(message: MatrixMessage): Promise<DeliveryResult>;
  readonly thirdParty?: ThirdPartyLookup;
}

/** A network module's default export: builds the plugin from nothing but its settings. */
export type NetworkFactory = (options: { config: Record<string, unknown> }) => NetworkPlugin;
