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
import type { SecretVault } from "./secret-vault.ts";

/** A Matrix event as the homeserver sent it: only `type` is known to be a string, everything else is unchecked. */
export type MatrixEventJson = { type: string } & Record<string, unknown>;

/**
 * Where in a transaction an event came from; `device_changes` holds a transaction's device lists and key counts
 * (MSC3202), which are not events but are kept like them (crypto/sync-changes.ts).
 */
export type InboxKind = "timeline" | "ephemeral" | "to_device" | "device_changes";

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

/** The transaction id entries carry that the bridge accepted from a room's timeline, not from a transaction. */
export const RECOVERED_TXN = "recovered" as TransactionId;

/** What became of a transaction the homeserver delivered. */
export interface AcceptedTransaction {
  /** The events stored for handling: the transaction's, less those an earlier transaction brought already. */
  entries: InboxEntry[];
  /** Events left out because they had been accepted before, under this transaction id or another. */
  alreadyAccepted: number;
  /**
   * The id was known with other events: a homeserver that numbers its transactions anew after a restart (Synapse on
   * SQLite), or one that retries a failed transaction with what queued up since (Dendrite).
   */
  reusedId: boolean;
}

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
  /**
   * Why bridging is stopped in this room, in both directions, while the link itself is kept: "encrypted" when the
   * room turned on end-to-end encryption, which the bridge can neither read nor send (see encrypted-rooms.ts).
   */
  paused?: "encrypted";
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
  /** false: the user sent `notices off` and is not told when their connection goes down or comes back. */
  connectionNotices?: boolean;
}

/**
 * The end-to-end encryption device of a Matrix user the bridge speaks as (the bot, a ghost): its id, made once and
 * kept, and the crypto engine's state (crypto/indexeddb-snapshot.ts), which the engine encrypts itself.
 */
export interface CryptoDeviceRecord {
  deviceId: string;
  /** Absent until the engine first saved its state (the device was made, its keys not yet uploaded). */
  snapshot?: Uint8Array;
}

export interface LoginRecord {
  userId: UserId;
  login: PuppetLogin;
}

export interface BridgeStore {
  /**
   * Records a transaction's events for handling, atomically with the transaction id and a digest of its events.
   * Returns `null` for a replay: the same id with the same events, accepted before (possibly before a restart). A
   * transaction id is only the homeserver's retry key, so the same id with other events is a new transaction; events
   * are recognised by their event ids, and one accepted before is never stored twice.
   */
  acceptTransaction(txnId: TransactionId, items: NewInboxItem[]): Promise<AcceptedTransaction | null>;
  /**
   * Events the bridge found by reading a room's timeline back (the homeserver never delivered them): stores those not
   * accepted before, by event id, and returns them, in order. Recorded like a transaction's, so that the homeserver
   * delivering them after all, even after a restart, changes nothing.
   */
  acceptRecovered(items: NewInboxItem[]): Promise<InboxEntry[]>;
  /**
   * When the store last accepted events before it was opened (null if never): about when the previous run last heard
   * from the homeserver. Events sent after that may have been left undelivered while the bridge was away.
   */
  readonly lastAcceptedBeforeOpen: number | null;
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

  /**
   * One-time notices the bridge gave in a room, by topic ("encrypted", "unpermitted:<user id>"), with the situation
   * they described: a restart must not repeat them, but a changed situation is told again.
   */
  getNoticeGiven(roomId: RoomId, topic: string): Promise<string | null>;
  putNoticeGiven(roomId: RoomId, topic: string, situation: string): Promise<void>;

  /** The network plugin's own records (its settings per user, saved sessions, …), as JSON values by key. */
  getPluginData(key: string): Promise<unknown>;
  putPluginData(key: string, value: unknown): Promise<void>;
  deletePluginData(key: string): Promise<void>;

  /** The encryption device of a user the bridge speaks as in encrypted rooms, or null before it has one. */
  getCryptoDevice(userId: UserId): Promise<CryptoDeviceRecord | null>;
  putCryptoDevice(userId: UserId, record: CryptoDeviceRecord): Promise<void>;
  /** Every user with an encryption device, so each one's engine is running from the start. */
  listCryptoDevices(): Promise<UserId[]>;

  /**
   * A secret of the bridge itself (the key that signs media links): made by `create` the first time `name` is asked
   * for, then the same value at every later start.
   */
  bridgeSecret(name: string, create: () => string): Promise<string>;

  /**
   * The key that seals the credentials kept here: login sessions and the bridge's own secrets are sealed by the store
   * itself; plugins seal theirs with it (NetworkContext.secrets) before putting them in their records.
   */
  readonly secrets: SecretVault;

  /**
   * Whether the store can be written now. An embedded store always can; a database server may be unreachable for a
   * while, during which the store retries and the bridge can show why (health, bridge state).
   */
  health(): StoreHealth;

  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  /** Why not, when not: the last connection error, already free of credentials. */
  detail?: string;
}
