// The embedded store on `level` (LevelDB). Each kind of record lives in its own sublevel; writes that must happen
// together (a transaction id and its events) go in one atomic batch.

import { Level } from "level";
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
import { LevelInbox } from "./level-inbox.ts";
import { type BatchOp, type Json, makeSublevel, type Sub, seqKey } from "./level-keys.ts";
import { LevelLogins, rewriteScrubbed } from "./level-logins.ts";
import { migrateLevel } from "./level-migrations.ts";
import { ReadThroughCache } from "./read-through-cache.ts";
import type { StoreLog } from "./schema-version.ts";
import { defaultKeyFile, SecretVault } from "./secret-vault.ts";
import type {
  AcceptedTransaction,
  BridgeStore,
  CryptoDeviceRecord,
  EventLink,
  InboxEntry,
  LoginRecord,
  NewInboxItem,
  RemoteEventRecord,
  RoomLink,
  StoreHealth,
  UserRecord,
} from "./store.ts";
import { WriteGroup } from "./write-group.ts";

const BRIDGE_SECRETS = "secret";
/** The bridge's own secrets are sealed like users' credentials, under a name no Matrix user id can take. */
const bridgeSecretOwner = (name: string) => `bridge-secret:${name}`;

/** Room links and logins kept in memory (see read-through-cache.ts). */
const CACHED_ROWS = 50_000;
// A separator that cannot occur in Matrix ids, so composite keys never collide.
const SEP = "\u0000";

export interface LevelStoreOptions {
  path: string;
  /** fsync every accepted transaction: survives power loss, not only a crash of the bridge. */
  sync: boolean;
  /** The key that seals credentials kept in the store; `defaultKeyFile(path)` when not given. */
  keyFile?: string;
  /** Where the store says that it migrates its schema, before it does. */
  log?: StoreLog;
}

export class LevelStore implements BridgeStore {
  private readonly db: Level<string, Json>;
  private readonly sync: boolean;
  /** The writes each handled event makes (its mapping, its inbox entry done), a batch per turn (write-group.ts). */
  private readonly group: WriteGroup<BatchOp>;
  private readonly inbox: LevelInbox;
  private readonly roomsByMatrix: Sub;
  private readonly roomsByRemote: Sub;
  private readonly eventsByMatrix: Sub;
  private readonly eventsByRemote: Sub;
  private readonly users: Sub;
  private readonly logins: LevelLogins;
  private readonly pluginData: Sub;
  private readonly noticesGiven: Sub;
  private readonly cryptoDevices: Sub;
  private readonly remoteInbox: Sub;
  private readonly roomLinks = new ReadThroughCache<RoomId, RoomLink>(CACHED_ROWS);
  private nextRemoteSeq = 0;
  readonly secrets: SecretVault;

  private constructor(options: LevelStoreOptions, secrets: SecretVault) {
    this.db = new Level<string, Json>(options.path, { valueEncoding: "json" });
    this.secrets = secrets;
    this.sync = options.sync;
    const sub = (name: string): Sub => makeSublevel(this.db, name);
    this.group = new WriteGroup((ops) => this.db.batch(ops));
    this.inbox = new LevelInbox(this.db, this.sync, this.group);
    this.roomsByMatrix = sub("room-m");
    this.roomsByRemote = sub("room-r");
    this.eventsByMatrix = sub("event-m");
    this.eventsByRemote = sub("event-r");
    this.users = sub("user");
    this.logins = new LevelLogins(this.db, secrets, CACHED_ROWS);
    this.pluginData = sub("plugin");
    this.noticesGiven = sub("notice");
    this.cryptoDevices = sub("crypto-device");
    this.remoteInbox = sub("remote-inbox");
  }

  static async open(options: LevelStoreOptions): Promise<LevelStore> {
    // The key first: a key file others can read is refused before anything is opened.
    const secrets = SecretVault.open(options.keyFile ?? defaultKeyFile(options.path));
    const store = new LevelStore(options, secrets);
    await store.db.open();
    try {
      await migrateLevel(store.db, options.path, options.log);
    } catch (err) {
      await store.db.close();
      throw err;
    }
    await store.inbox.open();
    await store.logins.sealReadable();
    await store.sealReadableBridgeSecrets();
    for await (const key of store.remoteInbox.keys({ reverse: true, limit: 1 }))
      store.nextRemoteSeq = Number(key) + 1;
    return store;
  }

  acceptTransaction(txnId: TransactionId, items: NewInboxItem[]): Promise<AcceptedTransaction | null> {
    return this.inbox.accept(txnId, items);
  }

  acceptRecovered(items: NewInboxItem[]): Promise<InboxEntry[]> {
    return this.inbox.acceptRecovered(items);
  }

  get lastAcceptedBeforeOpen(): number | null {
    return this.inbox.lastAcceptedBeforeOpen;
  }

  pendingInbox(): Promise<InboxEntry[]> {
    return this.inbox.pending();
  }

  completeInbox(seq: number, options: { scrub?: boolean } = {}): Promise<void> {
    return this.inbox.complete(seq, options);
  }

  async recordRemoteEvent(event: RemoteEventRecord): Promise<number> {
    const seq = this.nextRemoteSeq++;
    await this.db.batch(
      [{ type: "put", sublevel: this.remoteInbox, key: seqKey(seq), value: { ...event } }],
      {
        sync: this.sync,
      },
    );
    return seq;
  }

  async pendingRemoteEvents(): Promise<(RemoteEventRecord & { seq: number })[]> {
    const out: (RemoteEventRecord & { seq: number })[] = [];
    for await (const [key, value] of this.remoteInbox.iterator()) {
      out.push({ seq: Number(key), kind: String(value["kind"]), payload: String(value["payload"]) });
    }
    return out;
  }

  async completeRemoteEvent(seq: number): Promise<void> {
    await this.remoteInbox.del(seqKey(seq));
  }

  async getRoomLinkByMatrix(roomId: RoomId): Promise<RoomLink | null> {
    return this.roomLinks.get(
      roomId,
      async () => ((await this.roomsByMatrix.get(roomId)) as RoomLink | undefined) ?? null,
    );
  }

  async getRoomLinkByRemote(remoteRoomId: RemoteRoomId): Promise<RoomLink | null> {
    const ref = await this.roomsByRemote.get(remoteRoomId);
    return typeof ref?.["roomId"] === "string" ? this.getRoomLinkByMatrix(ref["roomId"] as RoomId) : null;
  }

  async putRoomLink(link: RoomLink): Promise<void> {
    // A room linked anew to another remote room must not stay reachable from the old one.
    const previous = await this.getRoomLinkByMatrix(link.roomId);
    const stale =
      previous !== null && previous.remoteRoomId !== link.remoteRoomId
        ? [{ type: "del" as const, sublevel: this.roomsByRemote, key: previous.remoteRoomId }]
        : [];
    await this.db.batch([
      ...stale,
      { type: "put", sublevel: this.roomsByMatrix, key: link.roomId, value: link as unknown as Json },
      { type: "put", sublevel: this.roomsByRemote, key: link.remoteRoomId, value: { roomId: link.roomId } },
    ]);
    this.roomLinks.set(link.roomId, link);
  }

  async deleteRoomLink(roomId: RoomId): Promise<void> {
    const link = await this.getRoomLinkByMatrix(roomId);
    if (!link) return;
    await this.db.batch([
      { type: "del", sublevel: this.roomsByMatrix, key: roomId },
      { type: "del", sublevel: this.roomsByRemote, key: link.remoteRoomId },
    ]);
    this.roomLinks.set(roomId, null);
  }

  async countRoomLinks(): Promise<number> {
    return (await this.roomsByMatrix.keys().all()).length;
  }

  async listRoomLinks(): Promise<RoomLink[]> {
    // In one call (the iterator reads ahead in batches), not a promise per record: read at every start, so
    // 100,000 rooms take a few tens of milliseconds, not hundreds.
    return (await this.roomsByMatrix.values().all()) as unknown as RoomLink[];
  }

  async putEventLink(link: EventLink): Promise<void> {
    const value = link as unknown as Json;
    await this.group.add(
      { type: "put", sublevel: this.eventsByMatrix, key: link.roomId + SEP + link.eventId, value },
      {
        type: "put",
        sublevel: this.eventsByRemote,
        key: link.remoteRoomId + SEP + link.remoteMessageId,
        value,
      },
    );
  }

  async getEventLinkByMatrix(roomId: RoomId, eventId: EventId): Promise<EventLink | null> {
    return ((await this.eventsByMatrix.get(roomId + SEP + eventId)) as EventLink | undefined) ?? null;
  }

  async getEventLinkByRemote(
    remoteRoomId: RemoteRoomId,
    remoteMessageId: RemoteMessageId,
  ): Promise<EventLink | null> {
    const key = remoteRoomId + SEP + remoteMessageId;
    return ((await this.eventsByRemote.get(key)) as EventLink | undefined) ?? null;
  }

  async getUserRecord(userId: UserId): Promise<UserRecord> {
    return ((await this.users.get(userId)) as UserRecord | undefined) ?? {};
  }

  async putUserRecord(userId: UserId, record: UserRecord): Promise<void> {
    await this.users.put(userId, record as unknown as Json);
  }

  putLogin(userId: UserId, login: PuppetLogin): Promise<void> {
    return this.logins.put(userId, login);
  }

  getLogin(userId: UserId): Promise<PuppetLogin | null> {
    return this.logins.get(userId);
  }

  getUserByRemote(remoteUserId: RemoteUserId): Promise<UserId | null> {
    return this.logins.userByRemote(remoteUserId);
  }

  deleteLogin(userId: UserId): Promise<void> {
    return this.logins.delete(userId);
  }

  listLogins(): Promise<LoginRecord[]> {
    return this.logins.list();
  }

  async getNoticeGiven(roomId: RoomId, topic: string): Promise<string | null> {
    const value = (await this.noticesGiven.get(roomId + SEP + topic))?.["situation"];
    return typeof value === "string" ? value : null;
  }

  async putNoticeGiven(roomId: RoomId, topic: string, situation: string): Promise<void> {
    await this.noticesGiven.put(roomId + SEP + topic, { situation });
  }

  async getCryptoDevice(userId: UserId): Promise<CryptoDeviceRecord | null> {
    const row = await this.cryptoDevices.get(userId);
    const deviceId = row?.["deviceId"];
    if (typeof deviceId !== "string") return null;
    const snapshot = row?.["snapshot"];
    return {
      deviceId,
      // JSON values: the bytes are kept as base64.
      ...(typeof snapshot === "string" && { snapshot: Buffer.from(snapshot, "base64") }),
    };
  }

  async putCryptoDevice(userId: UserId, record: CryptoDeviceRecord): Promise<void> {
    const value: Json = { deviceId: record.deviceId };
    if (record.snapshot !== undefined) value["snapshot"] = Buffer.from(record.snapshot).toString("base64");
    // fsynced like an accepted transaction: a snapshot is saved before the homeserver learns of keys it describes.
    await this.db.batch([{ type: "put", sublevel: this.cryptoDevices, key: userId, value }], {
      sync: this.sync,
    });
  }

  async listCryptoDevices(): Promise<UserId[]> {
    const users: UserId[] = [];
    for await (const key of this.cryptoDevices.keys()) users.push(key as UserId);
    return users;
  }

  async getPluginData(key: string): Promise<unknown> {
    // Wrapped, because a sublevel's JSON values must be objects and plugins may keep any JSON value.
    return (await this.pluginData.get(key))?.["value"] ?? null;
  }

  async putPluginData(key: string, value: unknown): Promise<void> {
    await this.pluginData.put(key, { value });
  }

  async deletePluginData(key: string): Promise<void> {
    await this.pluginData.del(key);
  }

  async bridgeSecret(name: string, create: () => string): Promise<string> {
    // A sublevel of its own, apart from the plugin's records, so that no plugin key can read or replace it.
    const secrets = makeSublevel(this.db, BRIDGE_SECRETS);
    const kept = (await secrets.get(name))?.["value"];
    if (kept !== undefined) {
      const value = this.secrets.open(bridgeSecretOwner(name), kept);
      if (value !== null) return value;
      // Sealed with another key: whatever it protected (signed links) is void anyway; make a new one.
    }
    const value = create();
    // Synced like accepted transactions: a key lost to a power cut would void every link handed out since.
    const sealed = this.secrets.seal(bridgeSecretOwner(name), value);
    await this.db.batch([{ type: "put", sublevel: secrets, key: name, value: { value: sealed } }], {
      sync: this.sync,
    });
    return value;
  }

  /** The bridge's own secrets as stores before this one kept them, readable: sealed, the readable copies scrubbed. */
  private async sealReadableBridgeSecrets(): Promise<void> {
    const readable: { key: string; value: Json }[] = [];
    for await (const [key, record] of makeSublevel(this.db, BRIDGE_SECRETS).iterator()) {
      const value = record["value"];
      if (typeof value === "string") {
        readable.push({ key, value: { value: this.secrets.seal(bridgeSecretOwner(key), value) } });
      }
    }
    await rewriteScrubbed(this.db, BRIDGE_SECRETS, readable);
  }

  health(): StoreHealth {
    return { ok: this.db.status === "open" };
  }

  /** The raw database, for copying every record to another store (level-export.ts). */
  get database(): Level<string, Json> {
    return this.db;
  }

  async close(): Promise<void> {
    await this.inbox.close();
    await this.group.idle();
    await this.db.close();
  }
}
