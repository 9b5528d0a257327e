// The PostgreSQL store's tables, as numbered migrations. Columns where the core looks rows up or orders them (ids,
// sequence numbers, times); JSON where the value is a record the core reads whole. Inbox events and plugin records
// are `json`, kept exactly as they came: they come from outside (a homeserver, a plugin), and `jsonb` refuses the
// \u0000 escape that canonical JSON allows. Records the core builds itself are `jsonb`.
//
// The version is one row of `bridge_schema`; each migration and its version bump commit together, so an interrupted
// start resumes at the step it was in. Concurrent starts on the same database wait on an advisory lock.

import type { PgPool } from "./pg-pool.ts";
import { logBeforeMigrating, type StoreLog, StoreVersionError } from "./schema-version.ts";

/** MIGRATIONS[n] brings the database from version n to n + 1 (version 0: empty). */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE transactions (txn_id text PRIMARY KEY, digest text NOT NULL, at bigint NOT NULL)`,
    `CREATE INDEX transactions_at ON transactions (at)`,
    `CREATE TABLE accepted_events (event_id text PRIMARY KEY, at bigint NOT NULL)`,
    `CREATE INDEX accepted_events_at ON accepted_events (at)`,
    `CREATE TABLE inbox (seq bigint PRIMARY KEY, txn_id text NOT NULL, kind text NOT NULL, event json NOT NULL,
       received_at bigint NOT NULL)`,
    `CREATE TABLE bridge_meta (key text PRIMARY KEY, value bigint NOT NULL)`,
    `CREATE TABLE remote_journal (seq bigint PRIMARY KEY, kind text NOT NULL, payload text NOT NULL)`,
    // A remote room (or message, or user) may be named by several rows; the newest written is the one found from the
    // remote side, as the level store's index keeps the last put. `written` says which is newest.
    `CREATE SEQUENCE room_links_written`,
    `CREATE TABLE room_links (room_id text PRIMARY KEY, remote_room_id text NOT NULL, link jsonb NOT NULL,
       written bigint NOT NULL DEFAULT nextval('room_links_written'))`,
    `CREATE INDEX room_links_remote ON room_links (remote_room_id, written)`,
    `CREATE SEQUENCE event_links_written`,
    `CREATE TABLE event_links (room_id text NOT NULL, event_id text NOT NULL, remote_room_id text NOT NULL,
       remote_message_id text NOT NULL, written bigint NOT NULL DEFAULT nextval('event_links_written'),
       PRIMARY KEY (room_id, event_id))`,
    `CREATE INDEX event_links_remote ON event_links (remote_room_id, remote_message_id, written)`,
    `CREATE TABLE users (user_id text PRIMARY KEY, record jsonb NOT NULL)`,
    `CREATE SEQUENCE logins_written`,
    `CREATE TABLE logins (user_id text PRIMARY KEY, remote_user_id text NOT NULL, sealed jsonb NOT NULL,
       written bigint NOT NULL DEFAULT nextval('logins_written'))`,
    `CREATE INDEX logins_remote ON logins (remote_user_id, written)`,
    `CREATE TABLE plugin_data (key text PRIMARY KEY, value json NOT NULL)`,
    `CREATE TABLE notices_given (room_id text NOT NULL, topic text NOT NULL, situation text NOT NULL,
       PRIMARY KEY (room_id, topic))`,
    `CREATE TABLE bridge_secrets (name text PRIMARY KEY, sealed jsonb NOT NULL)`,
  ],
  // 1 → 2: end-to-end encryption devices (crypto/), the engine's state as the bytes it saved.
  [`CREATE TABLE crypto_devices (user_id text PRIMARY KEY, device_id text NOT NULL, snapshot bytea)`],
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;
/** Any number, the same in every bridge: start-ups on one database migrate one at a time. */
const MIGRATION_LOCK = 0x62726467;

export async function migratePg(pool: PgPool, where: string, log?: StoreLog): Promise<void> {
  await pool.transaction(async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS bridge_schema (version integer NOT NULL)");
    const rows = (await client.query<{ version: number }>("SELECT version FROM bridge_schema")).rows;
    const found = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query("INSERT INTO bridge_schema (version) VALUES (0)");
    if (found > PG_SCHEMA_VERSION) throw new StoreVersionError(where, found, PG_SCHEMA_VERSION);
    // A database made just now has nothing to back up.
    if (found > 0 && found < PG_SCHEMA_VERSION) logBeforeMigrating(log, where, found, PG_SCHEMA_VERSION);
  });
  for (;;) {
    const done = await pool.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      const version = (await client.query<{ version: number }>("SELECT version FROM bridge_schema")).rows[0]
        ?.version;
      const step = version === undefined ? undefined : MIGRATIONS[version];
      if (version === undefined || step === undefined) return true;
      for (const statement of step) await client.query(statement);
      await client.query("UPDATE bridge_schema SET version = $1", [version + 1]);
      return false;
    });
    if (done) return;
  }
}

/** The version a database is at (0: no bridge tables), for the copy between stores to check before it writes. */
export async function pgSchemaVersion(pool: PgPool): Promise<number> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('bridge_schema')::text AS t");
  if (exists[0]?.t == null) return 0;
  return (await pool.query<{ version: number }>("SELECT version FROM bridge_schema"))[0]?.version ?? 0;
}
