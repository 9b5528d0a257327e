// Copying a LevelDB store into a PostgreSQL database, record for record: what `matrix-bridge migrate-store` does.
// Records are copied as stored, so sealed credentials stay sealed (the same key file opens them afterwards), and the
// bookkeeping that makes the bridge safe across restarts comes along: pending inbox and journal entries with their
// sequence numbers, transaction ids with their digests, accepted event ids and the time of the last acceptance.

import type { Level } from "level";
import { type Json, makeSublevel } from "./level-keys.ts";
import type { PgPool } from "./pg-pool.ts";

/** What is copied, by kind: a LevelDB sublevel (its primary one) and the PostgreSQL table it goes to. */
export const COPIED = {
  "room links": { sublevel: "room-m", table: "room_links" },
  "event mappings": { sublevel: "event-m", table: "event_links" },
  "user records": { sublevel: "user", table: "users" },
  logins: { sublevel: "login", table: "logins" },
  "plugin data": { sublevel: "plugin", table: "plugin_data" },
  "notices given": { sublevel: "notice", table: "notices_given" },
  "bridge secrets": { sublevel: "secret", table: "bridge_secrets" },
  "encryption devices": { sublevel: "crypto-device", table: "crypto_devices" },
  "pending inbox": { sublevel: "inbox", table: "inbox" },
  "remote journal": { sublevel: "remote-inbox", table: "remote_journal" },
  transactions: { sublevel: "txn", table: "transactions" },
  "accepted events": { sublevel: "accepted-event", table: "accepted_events" },
  "store state": { sublevel: "inbox-meta", table: "bridge_meta" },
} as const;

export type CopiedKind = keyof typeof COPIED;
export type Counts = Record<CopiedKind, number>;

const SEP = "\u0000";
const BATCH = 1000;

type Rows = unknown[][];

/** Each kind's rows for its table, in the table's column order (see INSERTS). */
function toRows(kind: CopiedKind, key: string, value: Json): unknown[] | null {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  switch (kind) {
    case "room links":
      return [key, str(value["remoteRoomId"]), JSON.stringify(value)];
    case "event mappings":
      return [value["roomId"], value["eventId"], value["remoteRoomId"], value["remoteMessageId"]];
    case "user records":
      return [key, JSON.stringify(value)];
    case "logins":
      // Already sealed by the level store's opening; the sealed record moves as it is.
      return value["sealed"] === undefined
        ? null
        : [key, value["remoteUserId"], JSON.stringify(value["sealed"])];
    case "plugin data":
      return [key, JSON.stringify(value["value"] ?? null)];
    case "notices given": {
      const at = key.indexOf(SEP);
      return [key.slice(0, at), key.slice(at + 1), str(value["situation"])];
    }
    case "bridge secrets":
      return [key, JSON.stringify(value["value"])];
    case "encryption devices":
      return [
        key,
        str(value["deviceId"]),
        typeof value["snapshot"] === "string" ? Buffer.from(value["snapshot"], "base64") : null,
      ];
    case "pending inbox":
      return [
        num(value["seq"]),
        value["txnId"],
        value["kind"],
        JSON.stringify(value["event"]),
        value["receivedAt"],
      ];
    case "remote journal":
      return [Number(key), value["kind"], value["payload"]];
    case "transactions":
      // A transaction of the first layout has no digest: one that matches nothing, so its id counts as reused.
      return [key, str(value["digest"]) ?? "", num(value["at"]) ?? Date.now()];
    case "accepted events":
      return [key, num(value["at"]) ?? Date.now()];
    case "store state":
      return [key, num(value["at"])];
  }
}

const INSERTS: Record<CopiedKind, { columns: string; types: string }> = {
  "room links": { columns: "room_id, remote_room_id, link", types: "text[], text[], jsonb[]" },
  "event mappings": {
    columns: "room_id, event_id, remote_room_id, remote_message_id",
    types: "text[], text[], text[], text[]",
  },
  "user records": { columns: "user_id, record", types: "text[], jsonb[]" },
  logins: { columns: "user_id, remote_user_id, sealed", types: "text[], text[], jsonb[]" },
  "plugin data": { columns: "key, value", types: "text[], json[]" },
  "notices given": { columns: "room_id, topic, situation", types: "text[], text[], text[]" },
  "bridge secrets": { columns: "name, sealed", types: "text[], jsonb[]" },
  "encryption devices": { columns: "user_id, device_id, snapshot", types: "text[], text[], bytea[]" },
  "pending inbox": {
    columns: "seq, txn_id, kind, event, received_at",
    types: "bigint[], text[], text[], json[], bigint[]",
  },
  "remote journal": { columns: "seq, kind, payload", types: "bigint[], text[], text[]" },
  transactions: { columns: "txn_id, digest, at", types: "text[], text[], bigint[]" },
  "accepted events": { columns: "event_id, at", types: "text[], bigint[]" },
  "store state": { columns: "key, value", types: "text[], bigint[]" },
};

async function insert(pool: PgPool, kind: CopiedKind, rows: Rows): Promise<void> {
  if (rows.length === 0) return;
  const { columns, types } = INSERTS[kind];
  const typeList = types.split(", ");
  const columnsOf = typeList.map((_, i) => rows.map((row) => row[i]));
  const params = typeList.map((type, i) => `$${i + 1}::${type}`).join(", ");
  await pool.query(
    `INSERT INTO ${COPIED[kind].table} (${columns}) SELECT * FROM unnest(${params})`,
    columnsOf,
  );
}

/**
 * Copies every record of the (open, migrated) level database into the (migrated, empty) PostgreSQL database, in one
 * database transaction per kind and batch; returns how many of each kind the source held.
 */
export async function copyLevelToPg(db: Level<string, Json>, pool: PgPool): Promise<Counts> {
  const counts = {} as Counts;
  for (const kind of Object.keys(COPIED) as CopiedKind[]) {
    counts[kind] = 0;
    let rows: Rows = [];
    for await (const [key, value] of makeSublevel(db, COPIED[kind].sublevel).iterator()) {
      const row = toRows(kind, key, value);
      if (row === null) throw new Error(`${kind}: a record the level store should have converted: ${key}`);
      counts[kind]++;
      rows.push(row);
      if (rows.length >= BATCH) {
        await insert(pool, kind, rows);
        rows = [];
      }
    }
    await insert(pool, kind, rows);
  }
  return counts;
}

/** How many rows of each kind the PostgreSQL database holds. */
export async function countPg(pool: PgPool): Promise<Counts> {
  const counts = {} as Counts;
  for (const kind of Object.keys(COPIED) as CopiedKind[]) {
    const [row] = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${COPIED[kind].table}`);
    counts[kind] = Number(row?.n ?? 0);
  }
  return counts;
}
