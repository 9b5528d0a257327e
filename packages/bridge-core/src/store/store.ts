// What the bridge keeps across restarts, behind one small interface so that a PostgreSQL store can follow the embedded
// one. Every method is durable when its promise resolves.

import type {
  EventId,
  RemoteMessageId,
  RemoteRoomId,
  RemoteUserId,
  RoomId,
  TransactionId,
  UserId,
} from "../ids.ts";
import type { PuppetLogin } from "../network.ts";

/** A Matrix event as the homeserver sent it: only `type` is known to be a string, everything else is unchecked. */
export type MatrixEventJson = { type: string } & Record<string, unknown>;

/** Where in a transaction an event came from. */
export type InboxKind = "timeline" | "ephemeral" | "to_device";

/** An accepted event waiting to be (or being) handled. */
export interface InboxEntry {
  /** Position in the order of arrival; handling order within a room follows it. */
  seq: number;
  txnId: TransactionId;
  kind: InboxKind;
  event: MatrixEventJson;
  receivedAt: number;
  /**
   * Set on the first entry of a room resumed at start-up: handling runs one entry of a room at a time, so only that
   * one can have been under way when the bridge stopped, and part of it may already have reached the network.
   */
  resumed?: true;
}

export type NewInboxItem = Pick<InboxEntry, "kind" | "event">;

/** A remote event as the network reported it: which callback, and its argument (JSON; bytes as base64). */
export interface RemoteEventRecord {
  kind: string;
  payload: string;
}

export type RoomLinkKind = "portal" | "plumbed" | "dm";

export interface RoomLink {
  roomId: RoomId;
  remoteRoomId: RemoteRoomId;
  /**
   * A portal is the bridge's own room; a plumbed room belongs to its users and is only linked; a dm is a private chat
   * between one Matrix user (`owner`) and one remote user (`peer`), keyed by both.
   */
  kind: RoomLinkKind;
  peer?: RemoteUserId;
  owner?: UserId;
  linkedBy?: UserId;
  /** Whether Matrix users without a remote identity are relayed by the bridge's own account in this room. */
  relay?: boolean;
  createdAt: number;
}

export interface EventLink {
  roomId: RoomId;
  eventId: EventId;
  remoteRoomId: RemoteRoomId;
  remoteMessageId: RemoteMessageId;
}

/** What the bridge remembers about one Matrix user. */
export interface UserRecord {
  /** The DM room in which the user talks to the bridge bot. */
  managementRoomId?: RoomId;
}

export interface LoginRecord {
  userId: UserId;
  login: PuppetLogin;
}

export interface BridgeStore {
  /**
   * Records a transaction's events for handling, atomically with the transaction id. Returns the stored entries, or
   * `null` when this transaction id was accepted before (a replay, possibly from before a restart).
   */
  acceptTransaction(txnId: TransactionId, items: NewInboxItem[]): Promise<InboxEntry[] | null>;
  /** Entries accepted but not yet handled, in arrival order: what a restart must resume. */
  pendingInbox(): Promise<InboxEntry[]>;
  /**
   * Marks an entry handled. With `scrub`, also removes every trace of it from the store's files at once (the entry
   * held credentials); otherwise the space is reclaimed whenever the store gets to it.
   */
  completeInbox(seq: number, options?: { scrub?: boolean }): Promise<void>;

  /**
   * Remote events received and not yet bridged, in order of arrival: recorded the moment the network reports them,
   * so that a crash or a homeserver outage delays them but never loses them.
   */
  recordRemoteEvent(event: RemoteEventRecord): Promise<number>;
  pendingRemoteEvents(): Promise<(RemoteEventRecord & { seq: number })[]>;
  completeRemoteEvent(seq: number): Promise<void>;

  getRoomLinkByMatrix(roomId: RoomId): Promise<RoomLink | null>;
  getRoomLinkByRemote(remoteRoomId: RemoteRoomId): Promise<RoomLink | null>;
  putRoomLink(link: RoomLink): Promise<void>;
  deleteRoomLink(roomId: RoomId): Promise<void>;
  countRoomLinks(): Promise<number>;
  listRoomLinks(): Promise<RoomLink[]>;

  putEventLink(link: EventLink): Promise<void>;
  getEventLinkByMatrix(roomId: RoomId, eventId: EventId): Promise<EventLink | null>;
  getEventLinkByRemote(
    remoteRoomId: RemoteRoomId,
    remoteMessageId: RemoteMessageId,
  ): Promise<EventLink | null>;

  getUserRecord(userId: UserId): Promise<UserRecord>;
  putUserRecord(userId: UserId, record: UserRecord): Promise<void>;

  /** Single puppeting: a Matrix user's remote identity, findable from either side. */
  putLogin(userId: UserId, login: PuppetLogin): Promise<void>;
  getLogin(userId: UserId): Promise<PuppetLogin | null>;
  getUserByRemote(remoteUserId: RemoteUserId): Promise<UserId | null>;
  deleteLogin(userId: UserId): Promise<void>;
  listLogins(): Promise<LoginRecord[]>;

  /** The network plugin's own records (its settings per user, saved sessions, …), as JSON values by key. */
  getPluginData(key: string): Promise<unknown>;
  putPluginData(key: string, value: unknown): Promise<void>;
  deletePluginData(key: string): Promise<void>;

  close(): Promise<void>;
}
