// The store contract (packages/bridge-core/test/store/store-contract.ts) against a real PostgreSQL, a new database
// for every test; the unit tests run the same contract against LevelDB. It lives here rather than among the unit
// tests because it needs a database server, which the unit tests never start. Then what only PostgreSQL has: its
// schema version, a database that goes away and comes back, scrubbing by VACUUM.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { migrateStore } from "../../packages/bridge-core/src/cli/migrate-store.ts";
import {
  parseEventId,
  parseRoomId,
  parseUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  transactionId,
} from "../../packages/bridge-core/src/ids.ts";
import { PG_DEFAULTS, PgStore } from "../../packages/bridge-core/src/postgres.ts";
import { LevelStore } from "../../packages/bridge-core/src/store/level-store.ts";
import { PG_SCHEMA_VERSION } from "../../packages/bridge-core/src/store/pg-schema.ts";
import { describeStoreContract } from "../../packages/bridge-core/test/store/store-contract.ts";
import { PostgresCluster } from "../harness/postgres.ts";
import { useRunDir } from "../harness/run-dir.ts";

const TABLES = [
  "transactions",
  "accepted_events",
  "inbox",
  "remote_journal",
  "room_links",
  "event_links",
  "users",
  "logins",
  "plugin_data",
  "notices_given",
  "bridge_secrets",
];

const runDir = useRunDir("store-contract");
let cluster: PostgresCluster;
let url: string;
let keyDir: string;

before(async () => {
  cluster = await PostgresCluster.start(runDir.path);
  runDir.addTeardown(() => cluster.stop());
});

const open = (options: { keyFile?: string; retryMs?: number } = {}) =>
  PgStore.open({
    ...PG_DEFAULTS,
    url,
    keyFile: options.keyFile ?? join(keyDir, "key"),
    ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
  });

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function fresh(): Promise<void> {
  url = await cluster.createDatabase("contract");
  keyDir = mkdtempSync(join(tmpdir(), "bridge-pg-key-"));
}

describeStoreContract("PostgreSQL", {
  fresh,
  open,
  async rawText() {
    const parts = await Promise.all(
      TABLES.map(async (table) =>
        (await sql<{ t: string }>(`SELECT x::text AS t FROM ${table} x`)).map((r) => r.t),
      ),
    );
    return parts.flat().join("\n");
  },
  async cleanup() {
    rmSync(keyDir, { recursive: true, force: true });
  },
});

describe("the PostgreSQL store's own behaviour", () => {
  after(() => rmSync(keyDir, { recursive: true, force: true }));

  it("records its schema version, and refuses a database a newer bridge wrote, leaving it as it was", async () => {
    await fresh();
    await (await open()).close();
    assert.deepEqual(await sql("SELECT version FROM bridge_schema"), [{ version: PG_SCHEMA_VERSION }]);
    await sql("UPDATE bridge_schema SET version = $1", [PG_SCHEMA_VERSION + 1]);
    await assert.rejects(
      open(),
      new RegExp(`schema version ${PG_SCHEMA_VERSION + 1}.*up to ${PG_SCHEMA_VERSION}.*newer bridge`),
    );
    assert.deepEqual(await sql("SELECT version FROM bridge_schema"), [{ version: PG_SCHEMA_VERSION + 1 }]);
  });

  it("a handled entry that held credentials is deleted and vacuumed away at once", async () => {
    await fresh();
    const store = await open();
    try {
      const accepted = await store.acceptTransaction(transactionId("scrub"), [
        {
          kind: "timeline",
          event: { type: "m.room.message", content: { body: "login alice hunter2-secret" } },
        },
      ]);
      await store.completeInbox(accepted?.entries[0]?.seq ?? -1, { scrub: true });
      assert.deepEqual(await sql("SELECT seq FROM inbox"), []);
      const [stats] = await sql<{ last_vacuum: Date | null }>(
        "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'inbox'",
      );
      assert.ok(stats?.last_vacuum, "VACUUM ran on the inbox");
    } finally {
      await store.close();
    }
  });

  it("rides out a database restart: reports itself unhealthy meanwhile, then writes what waited", async () => {
    await fresh();
    const store = await open({ retryMs: 60_000 });
    try {
      await store.putPluginData("before", 1);
      await cluster.stop();
      const writing = store.putPluginData("during", 2);
      const unhealthy = await waitFor(() => !store.health().ok);
      assert.ok(unhealthy, "unhealthy while the database is down");
      assert.match(store.health().detail ?? "", /database unreachable/);
      assert.ok(!(store.health().detail ?? "").includes(cluster.secret), "no password in the detail");
      await cluster.restart();
      await writing;
      assert.equal(await store.getPluginData("during"), 2);
      assert.deepEqual(store.health(), { ok: true });
    } finally {
      await store.close();
    }
  });

  it("gives up after store.retry_seconds with the connection error", async () => {
    await fresh();
    const store = await open({ retryMs: 500 });
    try {
      await cluster.stop();
      await assert.rejects(store.putPluginData("x", 1), /ECONNREFUSED|terminat|connect/i);
    } finally {
      await cluster.restart();
      await store.close();
    }
  });
});

describe("migrate-store", () => {
  it("copies every kind of record, sealed logins still sealed, and the moved store recognises replays", async () => {
    await fresh();
    const from = join(keyDir, "level");
    const keyFile = join(keyDir, "key");
    const level = await LevelStore.open({ path: from, sync: false, keyFile });
    const room = parseRoomId("!r:example.org");
    const alice = parseUserId("@alice:example.org");
    const item = (id: string) => ({
      kind: "timeline" as const,
      event: { type: "m.room.message", event_id: id, content: { body: id } },
    });
    await level.putRoomLink({ roomId: room, remoteRoomId: remoteRoomId("#r"), kind: "portal", createdAt: 1 });
    await level.putEventLink({
      roomId: room,
      eventId: parseEventId("$e"),
      remoteRoomId: remoteRoomId("#r"),
      remoteMessageId: remoteMessageId("m1"),
    });
    await level.putUserRecord(alice, { managementRoomId: parseRoomId("!dm:example.org") });
    await level.putLogin(alice, {
      remoteUserId: remoteUserId("alice-r"),
      session: { password: "pw-secret" },
    });
    await level.putPluginData("irc:nick", { nick: "alice_" });
    await level.putNoticeGiven(room, "encrypted", "yes");
    const mediaKey = await level.bridgeSecret("media-links", () => "the-media-key");
    const handled = await level.acceptTransaction(transactionId("t1"), [item("$a")]);
    await level.completeInbox(handled?.entries[0]?.seq ?? -1);
    await level.acceptTransaction(transactionId("t2"), [item("$b"), item("$c")]);
    await level.recordRemoteEvent({ kind: "message", payload: '{"body":"waiting"}' });
    await level.close();

    const said: string[] = [];
    await migrateStore({ from, to: url, keyFile }, (line) => said.push(line));
    assert.match(said.join("\n"), /Every count matches/);

    const moved = await open({ keyFile });
    try {
      assert.equal((await moved.getRoomLinkByRemote(remoteRoomId("#r")))?.roomId, room);
      assert.equal(
        (await moved.getEventLinkByRemote(remoteRoomId("#r"), remoteMessageId("m1")))?.eventId,
        "$e",
      );
      assert.deepEqual(await moved.getUserRecord(alice), { managementRoomId: "!dm:example.org" });
      assert.deepEqual(await moved.getLogin(alice), {
        remoteUserId: "alice-r",
        session: { password: "pw-secret" },
      });
      const [login] = await sql<{ t: string }>("SELECT sealed::text AS t FROM logins");
      assert.ok(login && !login.t.includes("pw-secret"), "still sealed");
      assert.deepEqual(await moved.getPluginData("irc:nick"), { nick: "alice_" });
      assert.equal(await moved.getNoticeGiven(room, "encrypted"), "yes");
      assert.equal(await moved.bridgeSecret("media-links", () => "new"), mediaKey);
      assert.deepEqual(
        (await moved.pendingInbox()).map((e) => [e.seq, e.event["event_id"]]),
        [
          [1, "$b"],
          [2, "$c"],
        ],
      );
      assert.deepEqual(
        (await moved.pendingRemoteEvents()).map((e) => e.payload),
        ['{"body":"waiting"}'],
      );
      assert.notEqual(moved.lastAcceptedBeforeOpen, null);
      assert.equal(
        await moved.acceptTransaction(transactionId("t2"), [item("$b"), item("$c")]),
        null,
        "a replay",
      );
      const next = await moved.acceptTransaction(transactionId("t3"), [item("$a"), item("$d")]);
      assert.deepEqual(
        next?.entries.map((e) => [e.seq, e.event["event_id"]]),
        [[3, "$d"]],
        "accepted event ids came along; numbering continues",
      );
    } finally {
      await moved.close();
    }
    await assert.rejects(
      migrateStore({ from, to: url, keyFile }, () => undefined),
      /already holds a bridge's data/,
    );
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
