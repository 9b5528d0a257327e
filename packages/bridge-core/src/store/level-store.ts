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
import { type Json, makeSublevel, type Sub, seqKey } from "./level-keys.ts";
import { ReadThroughCache } from "./read-through-cache.ts";
import type {
  AcceptedTransaction,
  BridgeStore,
  EventLink,
  InboxEntry,
  LoginRecord,
  NewInboxItem,
  RemoteEventRecord,
  RoomLink,
  UserRecord,
} from "./store.ts";

/** Room links and logins kept in memory (see read-through-cache.ts). */
const CACHED_ROWS = 50_000;
// A separator that cannot occur in Matrix ids, so composite keys never collide.
const SEP = "\u0000";

export interface LevelStoreOptions {
  path: string;
  /** fsync every accepted transaction: survives power loss, not only a crash of the bridge. */
  sync: boolean;
}

export class LevelStore implements BridgeStore {
  private readonly db: Level<string, Json>;
  private readonly sync: boolean;
  private readonly inbox: LevelInbox;
  private readonly roomsByMatrix: Sub;
  private readonly roomsByRemote: Sub;
  private readonly eventsByMatrix: Sub;
  private readonly eventsByRemote: Sub;
  private readonly users: Sub;
  private readonly logins: Sub;
  private readonly loginsByRemote: Sub;
  private readonly pluginData: Sub;
  private readonly noticesGiven: Sub;
  private readonly remoteInbox: Sub;
  private readonly roomLinks = new ReadThroughCache<RoomId, RoomLink>(CACHED_ROWS);
  private readonly loginsCache = new ReadThroughCache<UserId, PuppetLogin>(CACHED_ROWS);
  private nextRemoteSeq = 0;

  private constructor(options: LevelStoreOptions) {
    this.db = new Level<string, Json>(options.path, { valueEncoding: "json" });
    this.sync = options.sync;
    const sub = (name: string): Sub => makeSublevel(this.db, name);
    this.inbox = new LevelInbox(this.db, this.sync);
    this.roomsByMatrix = sub("room-m");
    this.roomsByRemote = sub("room-r");
    this.eventsByMatrix = sub("event-m");
    this.eventsByRemote = sub("event-r");
    this.users = sub("user");
    this.logins = sub("login");
    this.loginsByRemote = sub("login-r");
    this.pluginData = sub("plugin");
    this.noticesGiven = sub("notice");
    this.remoteInbox = sub("remote-inbox");
  }

  static async open(options: LevelStoreOptions): Promise<LevelStore> {
    const store = new LevelStore(options);
    await store.db.open();
    await store.inbox.open();
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
    let n = 0;
    for await (const _ of this.roomsByMatrix.keys()) n++;
    return n;
  }

  async listRoomLinks(): Promise<RoomLink[]> {
    const out: RoomLink[] = [];
    for await (const value of this.roomsByMatrix.values()) out.push(value as unknown as RoomLink);
    return out;
  }

  async putEventLink(link: EventLink): Promise<void> {
    const value = link as unknown as Json;
    await this.db.batch([
      { type: "put", sublevel: this.eventsByMatrix, key: link.roomId + SEP + link.eventId, value },
      {
        type: "put",
        sublevel: this.eventsByRemote,
        key: link.remoteRoomId + SEP + link.remoteMessageId,
        value,
      },
    ]);
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

  async putLogin(userId: UserId, login: PuppetLogin): Promise<void> {
    const previous = await this.getLogin(userId);
    const stale =
      previous !== null && previous.remoteUserId !== login.remoteUserId
        ? [{ type: "del" as const, sublevel: this.loginsByRemote, key: previous.remoteUserId }]
        : [];
    await this.db.batch([
      ...stale,
      { type: "put", sublevel: this.logins, key: userId, value: login as unknown as Json },
      { type: "put", sublevel: this.loginsByRemote, key: login.remoteUserId, value: { userId } },
    ]);
    this.loginsCache.set(userId, login);
  }

  async getLogin(userId: UserId): Promise<PuppetLogin | null> {
    return this.loginsCache.get(
      userId,
      async () => ((await this.logins.get(userId)) as PuppetLogin | undefined) ?? null,
    );
  }

  async getUserByRemote(remoteUserId: RemoteUserId): Promise<UserId | null> {
    const ref = await this.loginsByRemote.get(remoteUserId);
    return typeof ref?.["userId"] === "string" ? (ref["userId"] as UserId) : null;
  }

  async deleteLogin(userId: UserId): Promise<void> {
    const login = await this.getLogin(userId);
    if (!login) return;
    await this.db.batch([
      { type: "del", sublevel: this.logins, key: userId },
      { type: "del", sublevel: this.loginsByRemote, key: login.remoteUserId },
    ]);
    this.loginsCache.set(userId, null);
  }

  async listLogins(): Promise<LoginRecord[]> {
    const out: LoginRecord[] = [];
    for await (const [key, value] of this.logins.iterator()) {
      out.push({ userId: key as UserId, login: value as unknown as PuppetLogin });
    }
    return out;
  }

  async getNoticeGiven(roomId: RoomId, topic: string): Promise<string | null> {
    const value = (await this.noticesGiven.get(roomId + SEP + topic))?.["situation"];
    return typeof value === "string" ? value : null;
  }

  async putNoticeGiven(roomId: RoomId, topic: string, situation: string): Promise<void> {
    await this.noticesGiven.put(roomId + SEP + topic, { situation });
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
    const secrets = makeSublevel(this.db, "secret");
    const kept = (await secrets.get(name))?.["value"];
    if (typeof kept === "string") return kept;
    const value = create();
    // Synced like accepted transactions: a key lost to a power cut would void every link handed out since.
    await this.db.batch([{ type: "put", sublevel: secrets, key: name, value: { value } }], {
      sync: this.sync,
    });
    return value;
  }

  async close(): Promise<void> {
    await this.inbox.close();
    await this.db.close();
  }
}
