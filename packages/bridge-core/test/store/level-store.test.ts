import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Level } from "level";
import { transactionId } from "../../src/ids.ts";
import { LEVEL_SCHEMA_VERSION } from "../../src/store/level-migrations.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import type { NewInboxItem } from "../../src/store/store.ts";
import { describeStoreContract } from "./store-contract.ts";

let dir: string;
let path: string;

/** Every file of the database, as text: where a value would still be found on disk. */
const onDisk = () =>
  readdirSync(path)
    .map((name) => readFileSync(join(path, name)).toString("latin1"))
    .join("\n");

describeStoreContract("LevelDB", {
  async fresh() {
    dir = mkdtempSync(join(tmpdir(), "bridge-level-store-"));
    path = join(dir, "db");
  },
  open: (options = {}) =>
    LevelStore.open({ path, sync: false, keyFile: options.keyFile ?? join(dir, "key") }),
  rawText: async () => onDisk(),
  async cleanup() {
    rmSync(dir, { recursive: true, force: true });
  },
});

const txn = transactionId;
const message = (body: string): NewInboxItem => ({
  kind: "timeline",
  event: { type: "m.room.message", room_id: "!room:example.org", content: { msgtype: "m.text", body } },
});

describe("the level store's own files", () => {
  let store: LevelStore | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bridge-level-store-"));
    path = join(dir, "db");
    store = null;
  });

  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async () => {
    store = await LevelStore.open({ path, sync: false });
    return store;
  };

  it("scrubbing an entry that held credentials leaves no trace of it in the database's files", async () => {
    const s = await open();
    const [entry] = (await s.acceptTransaction(txn("scrub-1"), [message("login alice hunter2-secret")]))!
      .entries;
    assert.ok(onDisk().includes("hunter2-secret"), "the accepted entry is on disk, as it must be");
    await s.completeInbox(entry!.seq, { scrub: true });
    assert.ok(!onDisk().includes("hunter2-secret"));
  });

  it("without scrubbing, a handled entry lingers until LevelDB compacts", async () => {
    const s = await open();
    const [entry] = (await s.acceptTransaction(txn("scrub-2"), [message("ordinary-words-here")]))!.entries;
    await s.completeInbox(entry!.seq);
    assert.ok(onDisk().includes("ordinary-words-here"));
  });
});

describe("the level store's schema version", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bridge-level-schema-"));
    path = join(dir, "db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  type Json = Record<string, unknown>;
  /** Writes records straight into the database, bypassing the store, as an older bridge left them. */
  async function writeRaw(records: [sublevel: string, key: string, value: Json][]): Promise<void> {
    const db = new Level<string, Json>(path, { valueEncoding: "json" });
    for (const [name, key, value] of records)
      await db.sublevel<string, Json>(name, { valueEncoding: "json" }).put(key, value);
    await db.close();
  }
  async function readVersion(): Promise<unknown> {
    const db = new Level<string, Json>(path, { valueEncoding: "json" });
    const value = await db.sublevel<string, Json>("schema", { valueEncoding: "json" }).get("version");
    await db.close();
    return value?.["version"];
  }

  it("records the current version in a new store", async () => {
    const store = await LevelStore.open({ path, sync: false });
    await store.close();
    assert.equal(await readVersion(), LEVEL_SCHEMA_VERSION);
  });

  it("migrates a store of the first layout (no version, no accepted events): its waiting events are never doubled", async () => {
    // The layout before versions: transaction ids without digests, the inbox, room links; nothing else.
    const waiting = { ...message("waiting"), event: { ...message("waiting").event, event_id: "$waiting" } };
    await writeRaw([
      ["txn", "41", { at: Date.now() - 1000 }],
      ["inbox", "0000000000000007", { ...waiting, seq: 7, txnId: "41", receivedAt: Date.now() - 1000 }],
      [
        "room-m",
        "!r:example.org",
        { roomId: "!r:example.org", remoteRoomId: "#r", kind: "portal", createdAt: 1 },
      ],
      ["room-r", "#r", { roomId: "!r:example.org" }],
    ]);
    const warnings: string[] = [];
    const store = await LevelStore.open({ path, sync: false, log: (m) => warnings.push(m) });
    try {
      assert.match(warnings[0] ?? "", /from version 1 to 2.*backup/);
      assert.equal((await store.getRoomLinkByRemote("#r" as never))?.roomId, "!r:example.org");
      assert.deepEqual(
        (await store.pendingInbox()).map((e) => e.seq),
        [7],
      );
      // The homeserver retries the transaction that brought it, with one more event: only the new one is stored.
      const retried = await store.acceptTransaction(txn("41"), [
        waiting,
        { ...message("new"), event: { ...message("new").event, event_id: "$new" } },
      ]);
      assert.deepEqual(
        retried?.entries.map((e) => e.seq),
        [8],
      );
      assert.equal(retried?.reusedId, true);
    } finally {
      await store.close();
    }
    assert.equal(await readVersion(), LEVEL_SCHEMA_VERSION);
    const again: string[] = [];
    await (await LevelStore.open({ path, sync: false, log: (m) => again.push(m) })).close();
    assert.deepEqual(again, [], "nothing to migrate the second time");
  });

  it("refuses a store a newer bridge wrote, saying so, and leaves it as it was", async () => {
    await writeRaw([["schema", "version", { version: LEVEL_SCHEMA_VERSION + 1 }]]);
    await assert.rejects(
      LevelStore.open({ path, sync: false }),
      new RegExp(`schema version ${LEVEL_SCHEMA_VERSION + 1}.*up to ${LEVEL_SCHEMA_VERSION}.*newer bridge`),
    );
    assert.equal(await readVersion(), LEVEL_SCHEMA_VERSION + 1);
  });
});
