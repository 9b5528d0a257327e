// The store on PostgreSQL (`store.type: postgres`), for admins who keep their bridge's data in their database
// server. The same contract as the level store, proven by the same tests (test/store/store-contract.ts): what a
// promise resolves is committed; credentials are sealed with the vault before they reach a row; rows the bridge
// reads for every event (room links, logins) are cached in front, since only this process writes them.

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
import { PgHandledWrites } from "./pg-handled-writes.ts";
import { PgInbox } from "./pg-inbox.ts";
import { PgPool, type PgPoolOptions, withoutPassword } from "./pg-pool.ts";
import { migratePg } from "./pg-schema.ts";
import { ReadThroughCache } from "./read-through-cache.ts";
import { SecretVault } from "./secret-vault.ts";
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

const CACHED_ROWS = 50_000;
const bridgeSecretOwner = (name: string) => `bridge-secret:${name}`;

export interface PgStoreOptions extends Omit<PgPoolOptions, "log"> {
  /** The key that seals credentials; required, since a database has no folder to keep it beside. */
  keyFile: string;
  log?: PgPoolOptions["log"];
}

export class PgStore implements BridgeStore {
  readonly db: PgPool;
  readonly secrets: SecretVault;
  private readonly inbox: PgInbox;
  /** Each handled event's mapping and inbox deletion, one statement per turn (pg-handled-writes.ts). */
  private readonly handled: PgHandledWrites;
  private readonly roomLinks = new ReadThroughCache<RoomId, RoomLink>(CACHED_ROWS);
  private readonly logins = new ReadThroughCache<UserId, PuppetLogin>(CACHED_ROWS);
  private nextRemoteSeq = 0;

  private constructor(db: PgPool, secrets: SecretVault, handled: PgHandledWrites) {
    this.db = db;
    this.secrets = secrets;
    this.handled = handled;
    this.inbox = new PgInbox(db, handled);
  }

  static async open(options: PgStoreOptions): Promise<PgStore> {
    const secrets = SecretVault.open(options.keyFile);
    const db = new PgPool(options);
    const handled = new PgHandledWrites(db);
    const store = new PgStore(db, secrets, handled);
    try {
      await migratePg(db, withoutPassword(options.url), options.log);
      await store.inbox.open();
      const [row] = await db.query<{ next: string }>(
        "SELECT coalesce(max(seq) + 1, 0) AS next FROM remote_journal",
      );
      store.nextRemoteSeq = Number(row?.next ?? 0);
    } catch (err) {
      await db.end();
      throw err;
    }
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
    await this.db.query(
      "INSERT INTO remote_journal (seq, kind, payload) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING",
      [seq, event.kind, event.payload],
    );
    return seq;
  }

  async pendingRemoteEvents(): Promise<(RemoteEventRecord & { seq: number })[]> {
    const rows = await this.db.query<{ seq: string; kind: string; payload: string }>(
      "SELECT seq, kind, payload FROM remote_journal ORDER BY seq",
    );
    return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind, payload: row.payload }));
  }

  async completeRemoteEvent(seq: number): Promise<void> {
    await this.db.query("DELETE FROM remote_journal WHERE seq = $1", [seq]);
  }

  getRoomLinkByMatrix(roomId: RoomId): Promise<RoomLink | null> {
    return this.roomLinks.get(roomId, async () => {
      const [row] = await this.db.query<{ link: RoomLink }>(
        "SELECT link FROM room_links WHERE room_id = $1",
        [roomId],
      );
      return row?.link ?? null;
    });
  }

  async getRoomLinkByRemote(remoteRoomId: RemoteRoomId): Promise<RoomLink | null> {
    const [row] = await this.db.query<{ room_id: RoomId }>(
      "SELECT room_id FROM room_links WHERE remote_room_id = $1 ORDER BY written DESC LIMIT 1",
      [remoteRoomId],
    );
    return row === undefined ? null : this.getRoomLinkByMatrix(row.room_id);
  }

  async putRoomLink(link: RoomLink): Promise<void> {
    await this.db.query(
      `INSERT INTO room_links (room_id, remote_room_id, link) VALUES ($1, $2, $3)
       ON CONFLICT (room_id) DO UPDATE SET remote_room_id = excluded.remote_room_id, link = excluded.link,
         written = nextval('room_links_written')`,
      [link.roomId, link.remoteRoomId, JSON.stringify(link)],
    );
    this.roomLinks.set(link.roomId, link);
  }

  async deleteRoomLink(roomId: RoomId): Promise<void> {
    await this.db.query("DELETE FROM room_links WHERE room_id = $1", [roomId]);
    this.roomLinks.set(roomId, null);
  }

  async countRoomLinks(): Promise<number> {
    const [row] = await this.db.query<{ n: string }>("SELECT count(*) AS n FROM room_links");
    return Number(row?.n ?? 0);
  }

  async listRoomLinks(): Promise<RoomLink[]> {
    return (await this.db.query<{ link: RoomLink }>("SELECT link FROM room_links ORDER BY room_id")).map(
      (row) => row.link,
    );
  }

  putEventLink(link: EventLink): Promise<void> {
    return this.handled.putEventLink(link);
  }

  async getEventLinkByMatrix(roomId: RoomId, eventId: EventId): Promise<EventLink | null> {
    const [row] = await this.db.query<EventLinkRow>(
      `${EVENT_LINK} FROM event_links WHERE room_id = $1 AND event_id = $2`,
      [roomId, eventId],
    );
    return row === undefined ? null : eventLink(row);
  }

  async getEventLinkByRemote(
    remoteRoomId: RemoteRoomId,
    remoteMessageId: RemoteMessageId,
  ): Promise<EventLink | null> {
    const [row] = await this.db.query<EventLinkRow>(
      `${EVENT_LINK} FROM event_links WHERE remote_room_id = $1 AND remote_message_id = $2
       ORDER BY written DESC LIMIT 1`,
      [remoteRoomId, remoteMessageId],
    );
    return row === undefined ? null : eventLink(row);
  }

  async getUserRecord(userId: UserId): Promise<UserRecord> {
    const [row] = await this.db.query<{ record: UserRecord }>("SELECT record FROM users WHERE user_id = $1", [
      userId,
    ]);
    return row?.record ?? {};
  }

  async putUserRecord(userId: UserId, record: UserRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO users (user_id, record) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET record = excluded.record`,
      [userId, JSON.stringify(record)],
    );
  }

  async putLogin(userId: UserId, login: PuppetLogin): Promise<void> {
    const sealed = this.secrets.seal(userId, JSON.stringify(login.session));
    await this.db.query(
      `INSERT INTO logins (user_id, remote_user_id, sealed) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET remote_user_id = excluded.remote_user_id, sealed = excluded.sealed,
         written = nextval('logins_written')`,
      [userId, login.remoteUserId, JSON.stringify(sealed)],
    );
    this.logins.set(userId, login);
  }

  /** The login, or null when there is none or it does not open with this key (it was sealed with another). */
  getLogin(userId: UserId): Promise<PuppetLogin | null> {
    return this.logins.get(userId, async () => {
      const [row] = await this.db.query<LoginRow>(
        "SELECT user_id, remote_user_id, sealed FROM logins WHERE user_id = $1",
        [userId],
      );
      return row === undefined ? null : this.opened(row);
    });
  }

  async getUserByRemote(remoteUserId: RemoteUserId): Promise<UserId | null> {
    const [row] = await this.db.query<{ user_id: UserId }>(
      "SELECT user_id FROM logins WHERE remote_user_id = $1 ORDER BY written DESC LIMIT 1",
      [remoteUserId],
    );
    return row?.user_id ?? null;
  }

  async deleteLogin(userId: UserId): Promise<void> {
    await this.db.query("DELETE FROM logins WHERE user_id = $1", [userId]);
    this.logins.set(userId, null);
  }

  async listLogins(): Promise<LoginRecord[]> {
    const rows = await this.db.query<LoginRow>(
      "SELECT user_id, remote_user_id, sealed FROM logins ORDER BY user_id",
    );
    return rows.flatMap((row) => {
      const login = this.opened(row);
      return login === null ? [] : [{ userId: row.user_id, login }];
    });
  }

  async getNoticeGiven(roomId: RoomId, topic: string): Promise<string | null> {
    const [row] = await this.db.query<{ situation: string }>(
      "SELECT situation FROM notices_given WHERE room_id = $1 AND topic = $2",
      [roomId, topic],
    );
    return row?.situation ?? null;
  }

  async putNoticeGiven(roomId: RoomId, topic: string, situation: string): Promise<void> {
    await this.db.query(
      `INSERT INTO notices_given (room_id, topic, situation) VALUES ($1, $2, $3)
       ON CONFLICT (room_id, topic) DO UPDATE SET situation = excluded.situation`,
      [roomId, topic, situation],
    );
  }

  async getCryptoDevice(userId: UserId): Promise<CryptoDeviceRecord | null> {
    const [row] = await this.db.query<{ device_id: string; snapshot: Buffer | null }>(
      "SELECT device_id, snapshot FROM crypto_devices WHERE user_id = $1",
      [userId],
    );
    if (row === undefined) return null;
    return { deviceId: row.device_id, ...(row.snapshot !== null && { snapshot: row.snapshot }) };
  }

  async putCryptoDevice(userId: UserId, record: CryptoDeviceRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO crypto_devices (user_id, device_id, snapshot) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET device_id = excluded.device_id, snapshot = excluded.snapshot`,
      [userId, record.deviceId, record.snapshot === undefined ? null : Buffer.from(record.snapshot)],
    );
  }

  async listCryptoDevices(): Promise<UserId[]> {
    const rows = await this.db.query<{ user_id: string }>("SELECT user_id FROM crypto_devices");
    return rows.map((row) => row.user_id as UserId);
  }

  async getPluginData(key: string): Promise<unknown> {
    const [row] = await this.db.query<{ value: unknown }>("SELECT value FROM plugin_data WHERE key = $1", [
      key,
    ]);
    return row?.value ?? null;
  }

  async putPluginData(key: string, value: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO plugin_data (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, JSON.stringify(value ?? null)],
    );
  }

  async deletePluginData(key: string): Promise<void> {
    await this.db.query("DELETE FROM plugin_data WHERE key = $1", [key]);
  }

  async bridgeSecret(name: string, create: () => string): Promise<string> {
    const [row] = await this.db.query<{ sealed: unknown }>(
      "SELECT sealed FROM bridge_secrets WHERE name = $1",
      [name],
    );
    if (row !== undefined) {
      const value = this.secrets.open(bridgeSecretOwner(name), row.sealed);
      if (value !== null) return value;
      // Sealed with another key: whatever it protected (signed links) is void anyway; make a new one.
    }
    const value = create();
    await this.db.query(
      `INSERT INTO bridge_secrets (name, sealed) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed`,
      [name, JSON.stringify(this.secrets.seal(bridgeSecretOwner(name), value))],
    );
    return value;
  }

  health(): StoreHealth {
    return this.db.health();
  }

  async close(): Promise<void> {
    await this.inbox.close();
    await this.db.end();
  }

  private opened(row: LoginRow): PuppetLogin | null {
    const session = this.secrets.open(row.user_id, row.sealed);
    if (session === null) return null;
    return { remoteUserId: row.remote_user_id, session: JSON.parse(session) as Record<string, unknown> };
  }
}

interface LoginRow {
  user_id: UserId;
  remote_user_id: RemoteUserId;
  sealed: unknown;
}

interface EventLinkRow {
  room_id: RoomId;
  event_id: EventId;
  remote_room_id: RemoteRoomId;
  remote_message_id: RemoteMessageId;
}

const EVENT_LINK = "SELECT room_id, event_id, remote_room_id, remote_message_id";
const eventLink = (row: EventLinkRow): EventLink => ({
  roomId: row.room_id,
  eventId: row.event_id,
  remoteRoomId: row.remote_room_id,
  remoteMessageId: row.remote_message_id,
});
