import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  parseEventId,
  parseRoomId,
  parseUserId,
  remoteMessageId,
  remoteRoomId,
  transactionId,
} from "../../src/ids.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import type { AcceptedTransaction, EventLink, NewInboxItem, RoomLink } from "../../src/store/store.ts";

let dir: string;
let path: string;
let store: LevelStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "bridge-level-store-"));
  path = join(dir, "db");
  store = await LevelStore.open({ path, sync: false });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Closes the store and opens the same path again, as a restart of the bridge does. */
async function reopen(): Promise<void> {
  await store.close();
  store = await LevelStore.open({ path, sync: true });
}

const txn = transactionId;
const message = (body: string): NewInboxItem => ({
  kind: "timeline",
  event: { type: "m.room.message", room_id: "!room:example.org", content: { msgtype: "m.text", body } },
});
const typing: NewInboxItem = { kind: "ephemeral", event: { type: "m.typing", content: { user_ids: [] } } };

const bodies = (entries: { event: Record<string, unknown> }[]) =>
  entries.map((e) => (e.event["content"] as { body?: string } | undefined)?.body ?? e.event["type"]);
const seqs = (entries: { seq: number }[]) => entries.map((e) => e.seq);

/** A timeline event with an event id, as homeservers send them. */
const event = (id: string, body = id): NewInboxItem => ({
  kind: "timeline",
  event: { ...message(body).event, event_id: `$${id}` },
});
/** The stored entries of an accepted transaction; fails on a replay. */
const stored = (accepted: AcceptedTransaction | null) => {
  assert.ok(accepted, "accepted, not taken for a replay");
  return accepted.entries;
};

describe("acceptTransaction", () => {
  it("stores the events in order with increasing seq", async () => {
    const before = Date.now();
    const first = stored(await store.acceptTransaction(txn("t1"), [message("a"), typing, message("b")]));
    const second = stored(await store.acceptTransaction(txn("t2"), [message("c")]));
    assert.deepEqual(seqs(first), [0, 1, 2]);
    assert.deepEqual(seqs(second), [3]);
    assert.deepEqual(first[1], { ...typing, seq: 1, txnId: "t1", receivedAt: first[1]?.receivedAt });
    assert.ok((first[0]?.receivedAt ?? 0) >= before);
    assert.deepEqual(await store.pendingInbox(), [...first, ...second]);
  });

  it("returns null for the same transaction id with the same events, and stores nothing more", async () => {
    assert.ok(await store.acceptTransaction(txn("t1"), [event("a"), typing]));
    assert.equal(await store.acceptTransaction(txn("t1"), [event("a"), typing]), null);
    assert.deepEqual(bodies(await store.pendingInbox()), ["a", "m.typing"]);
  });

  it("takes a known id with other events as a new transaction: a homeserver that numbers anew after a restart", async () => {
    stored(await store.acceptTransaction(txn("1"), [event("a"), event("b")]));
    const again = await store.acceptTransaction(txn("1"), [event("c"), typing]);
    assert.deepEqual(again && { ...again, entries: bodies(again.entries) }, {
      entries: ["c", "m.typing"],
      alreadyAccepted: 0,
      reusedId: true,
    });
    assert.deepEqual(bodies(await store.pendingInbox()), ["a", "b", "c", "m.typing"]);
    // The newest content under the id is what a replay is recognised by.
    assert.equal(await store.acceptTransaction(txn("1"), [event("c"), typing]), null);
  });

  it("stores an event once, whichever transaction brings it again: a retry with more events in it", async () => {
    stored(await store.acceptTransaction(txn("t1"), [event("a")]));
    const retried = await store.acceptTransaction(txn("t1"), [event("a"), event("b"), event("c")]);
    assert.deepEqual(retried && { ...retried, entries: bodies(retried.entries) }, {
      entries: ["b", "c"],
      alreadyAccepted: 1,
      reusedId: true,
    });
    const other = await store.acceptTransaction(txn("t9"), [event("c"), event("d"), event("d")]);
    assert.deepEqual(other && bodies(other.entries), ["d"]);
    assert.equal(other?.alreadyAccepted, 2);
    assert.deepEqual(bodies(await store.pendingInbox()), ["a", "b", "c", "d"]);
  });

  it("remembers accepted events after they were handled and after close and reopen", async () => {
    const [entry] = stored(await store.acceptTransaction(txn("t1"), [event("a")]));
    await store.completeInbox(entry!.seq);
    await reopen();
    assert.deepEqual(stored(await store.acceptTransaction(txn("1"), [event("a"), event("b")])).length, 1);
    assert.deepEqual(bodies(await store.pendingInbox()), ["b"]);
  });

  it("remembers an empty transaction too", async () => {
    assert.deepEqual(stored(await store.acceptTransaction(txn("empty"), [])), []);
    assert.equal(await store.acceptTransaction(txn("empty"), []), null);
  });

  it("still refuses a replayed transaction after close and reopen", async () => {
    await store.acceptTransaction(txn("t1"), [message("a")]);
    await store.completeInbox(0);
    await reopen();
    assert.equal(await store.acceptTransaction(txn("t1"), [message("a")]), null);
    assert.deepEqual(await store.pendingInbox(), []);
  });

  it("accepts a transaction once when the same id arrives concurrently", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.acceptTransaction(txn("dup"), [message("a"), message("b")])),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.deepEqual(bodies(await store.pendingInbox()), ["a", "b"]);
  });

  it("gives concurrent distinct transactions distinct seqs", async () => {
    const results = await Promise.all(
      ["x", "y", "z"].map((id) => store.acceptTransaction(txn(id), [message(id), message(id)])),
    );
    const all = results.flatMap((r) => seqs(r?.entries ?? []));
    assert.deepEqual(
      all.toSorted((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it("forgets transaction ids and accepted event ids after a week, after start-up", async (t) => {
    const start = Date.parse("2025-01-01T00:00:00Z");
    t.mock.timers.enable({ apis: ["Date"], now: start });
    await store.acceptTransaction(txn("old"), [event("old")]);
    await store.completeInbox(0);
    t.mock.timers.setTime(start + 24 * 3600 * 1000);
    await reopen();
    assert.equal(
      await store.acceptTransaction(txn("old"), [event("old")]),
      null,
      "a day later it is still a replay",
    );
    assert.deepEqual(
      stored(await store.acceptTransaction(txn("new"), [event("old")])),
      [],
      "and the event known",
    );
    t.mock.timers.setTime(start + 8 * 24 * 3600 * 1000);
    await reopen();
    // Forgetting runs beside the start; closing waits for it.
    await reopen();
    assert.deepEqual(bodies(stored(await store.acceptTransaction(txn("old"), [event("old")]))), ["old"]);
  });
});

describe("inbox", () => {
  it("returns what was not completed, in order, after reopen", async () => {
    await store.acceptTransaction(txn("t1"), [message("a"), message("b"), message("c")]);
    await store.acceptTransaction(txn("t2"), [message("d"), message("e")]);
    await store.completeInbox(1);
    await store.completeInbox(3);
    await reopen();
    const pending = await store.pendingInbox();
    assert.deepEqual(seqs(pending), [0, 2, 4]);
    assert.deepEqual(bodies(pending), ["a", "c", "e"]);
    assert.deepEqual(
      pending.map((e) => e.txnId),
      ["t1", "t1", "t2"],
    );
  });

  it("orders by seq numerically, not as text", async () => {
    const items = Array.from({ length: 12 }, (_, i) => message(String(i)));
    await store.acceptTransaction(txn("many"), items);
    await store.completeInbox(0);
    assert.deepEqual(seqs(await store.pendingInbox()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("completeInbox removes the entry and ignores an unknown seq", async () => {
    await store.acceptTransaction(txn("t1"), [message("a"), message("b")]);
    await store.completeInbox(0);
    await store.completeInbox(0);
    await store.completeInbox(99);
    assert.deepEqual(bodies(await store.pendingInbox()), ["b"]);
    await store.completeInbox(1);
    assert.deepEqual(await store.pendingInbox(), []);
  });

  it("continues seq after reopen without overwriting pending entries", async () => {
    await store.acceptTransaction(txn("t1"), [message("a"), message("b"), message("c")]);
    await store.completeInbox(0);
    await store.completeInbox(1);
    await reopen();
    const more = await store.acceptTransaction(txn("t2"), [message("d"), message("e")]);
    assert.deepEqual(seqs(more?.entries ?? []), [3, 4]);
    const pending = await store.pendingInbox();
    assert.deepEqual(seqs(pending), [2, 3, 4]);
    assert.deepEqual(bodies(pending), ["c", "d", "e"]);
  });
});

describe("room links", () => {
  const portal: RoomLink = {
    roomId: parseRoomId("!portal:example.org"),
    remoteRoomId: remoteRoomId("#chan"),
    kind: "portal",
    createdAt: 1700000000000,
  };
  const plumbed: RoomLink = {
    roomId: parseRoomId("!plumbed:example.org"),
    remoteRoomId: remoteRoomId("#other"),
    kind: "plumbed",
    linkedBy: parseUserId("@admin:example.org"),
    createdAt: 1700000000001,
  };

  it("finds a link by its Matrix room and by its remote room", async () => {
    await store.putRoomLink(portal);
    await store.putRoomLink(plumbed);
    assert.deepEqual(await store.getRoomLinkByMatrix(portal.roomId), portal);
    assert.deepEqual(await store.getRoomLinkByRemote(portal.remoteRoomId), portal);
    assert.deepEqual(await store.getRoomLinkByMatrix(plumbed.roomId), plumbed);
    assert.deepEqual(await store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
    assert.equal(await store.getRoomLinkByMatrix(parseRoomId("!nope:example.org")), null);
    assert.equal(await store.getRoomLinkByRemote(remoteRoomId("#nope")), null);
  });

  it("deletes both directions of a link, and only that link", async () => {
    await store.putRoomLink(portal);
    await store.putRoomLink(plumbed);
    assert.equal(await store.countRoomLinks(), 2);
    await store.deleteRoomLink(portal.roomId);
    assert.equal(await store.getRoomLinkByMatrix(portal.roomId), null);
    assert.equal(await store.getRoomLinkByRemote(portal.remoteRoomId), null);
    assert.deepEqual(await store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
    assert.equal(await store.countRoomLinks(), 1);
    await store.deleteRoomLink(parseRoomId("!never-linked:example.org"));
    assert.equal(await store.countRoomLinks(), 1);
  });

  it("counts links and keeps them across reopen", async () => {
    assert.equal(await store.countRoomLinks(), 0);
    await store.putRoomLink(portal);
    await store.putRoomLink(portal);
    assert.equal(await store.countRoomLinks(), 1);
    await store.putRoomLink(plumbed);
    await reopen();
    assert.equal(await store.countRoomLinks(), 2);
    assert.deepEqual(await store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
  });

  it("lists every link", async () => {
    await store.putRoomLink(portal);
    await store.putRoomLink(plumbed);
    const listed = (await store.listRoomLinks()).map((l) => l.remoteRoomId).sort();
    assert.deepEqual(listed, [portal.remoteRoomId, plumbed.remoteRoomId].sort());
  });

  it("forgets the old remote room when a room is linked to another one", async () => {
    await store.putRoomLink(plumbed);
    const relinked: RoomLink = { ...plumbed, remoteRoomId: remoteRoomId("#moved") };
    await store.putRoomLink(relinked);
    assert.equal(await store.getRoomLinkByRemote(plumbed.remoteRoomId), null);
    assert.deepEqual(await store.getRoomLinkByRemote(relinked.remoteRoomId), relinked);
  });
});

describe("event links", () => {
  const link: EventLink = {
    roomId: parseRoomId("!room:example.org"),
    eventId: parseEventId("$event1"),
    remoteRoomId: remoteRoomId("a"),
    remoteMessageId: remoteMessageId("bc"),
  };

  it("finds a link from either side", async () => {
    await store.putEventLink(link);
    assert.deepEqual(await store.getEventLinkByMatrix(link.roomId, link.eventId), link);
    assert.deepEqual(await store.getEventLinkByRemote(link.remoteRoomId, link.remoteMessageId), link);
    assert.equal(await store.getEventLinkByMatrix(link.roomId, parseEventId("$event2")), null);
    assert.equal(await store.getEventLinkByMatrix(parseRoomId("!other:example.org"), link.eventId), null);
    assert.equal(await store.getEventLinkByRemote(link.remoteRoomId, remoteMessageId("b")), null);
  });

  it("never confuses ids whose concatenations are equal", async () => {
    await store.putEventLink(link);
    assert.equal(await store.getEventLinkByRemote(remoteRoomId("ab"), remoteMessageId("c")), null);
    assert.equal(await store.getEventLinkByRemote(remoteRoomId(""), remoteMessageId("abc")), null);
  });

  it("keeps links across reopen", async () => {
    await store.putEventLink(link);
    await reopen();
    assert.deepEqual(await store.getEventLinkByRemote(link.remoteRoomId, link.remoteMessageId), link);
  });
});

describe("user records", () => {
  const alice = parseUserId("@alice:example.org");

  it("is empty for an unknown user, and keeps what was put across reopen", async () => {
    assert.deepEqual(await store.getUserRecord(alice), {});
    await store.putUserRecord(alice, { managementRoomId: parseRoomId("!dm:example.org") });
    assert.deepEqual(await store.getUserRecord(alice), { managementRoomId: "!dm:example.org" });
    assert.deepEqual(await store.getUserRecord(parseUserId("@bob:example.org")), {});
    await reopen();
    assert.deepEqual(await store.getUserRecord(alice), { managementRoomId: "!dm:example.org" });
    await store.putUserRecord(alice, {});
    assert.deepEqual(await store.getUserRecord(alice), {});
  });
});

describe("plugin data", () => {
  it("keeps any JSON value by key across reopen, and deletes it", async () => {
    await store.putPluginData("irc:nick:@a:example.org", "alice_");
    await store.putPluginData("irc:pass:@a:example.org", { cipher: "x", iv: "y" });
    await reopen();
    assert.equal(await store.getPluginData("irc:nick:@a:example.org"), "alice_");
    assert.deepEqual(await store.getPluginData("irc:pass:@a:example.org"), { cipher: "x", iv: "y" });
    await store.deletePluginData("irc:nick:@a:example.org");
    assert.equal(await store.getPluginData("irc:nick:@a:example.org"), null);
  });
});

describe("close", () => {
  it("waits for an acceptTransaction in flight", async () => {
    const accepting = store.acceptTransaction(txn("late"), [message("a")]);
    await store.close();
    assert.ok(await accepting);
    store = await LevelStore.open({ path, sync: false });
    assert.deepEqual(bodies(await store.pendingInbox()), ["a"]);
  });
});

describe("scrubbing an entry that held credentials", () => {
  /** Every file of the database, as text: where a value would still be found on disk. */
  const onDisk = () =>
    readdirSync(path)
      .map((name) => readFileSync(join(path, name)).toString("latin1"))
      .join("\n");

  it("leaves no trace of the entry in the database's files", async () => {
    const [entry] = (await store.acceptTransaction(txn("scrub-1"), [message("login alice hunter2-secret")]))!
      .entries;
    assert.ok(onDisk().includes("hunter2-secret"), "the accepted entry is on disk, as it must be");
    await store.completeInbox(entry!.seq, { scrub: true });
    assert.ok(!onDisk().includes("hunter2-secret"));
  });

  it("without scrubbing, a handled entry lingers until LevelDB compacts", async () => {
    const [entry] = (await store.acceptTransaction(txn("scrub-2"), [message("ordinary-words-here")]))!
      .entries;
    await store.completeInbox(entry!.seq);
    assert.ok(onDisk().includes("ordinary-words-here"));
  });
});
