// The store contract: what every BridgeStore must do, as tests that run against each implementation — LevelDB in
// the unit tests (level-store.test.ts), PostgreSQL in test/e2e/store-contract.test.ts, which starts a real server.
// The contract is the level store's behaviour as its tests described it before PostgreSQL came, unchanged.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  parseEventId,
  parseRoomId,
  parseUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  transactionId,
} from "../../src/ids.ts";
import type {
  AcceptedTransaction,
  BridgeStore,
  EventLink,
  NewInboxItem,
  RoomLink,
} from "../../src/store/store.ts";
import { describeGroupedWrites } from "./store-contract-grouped.ts";

/** One implementation, as the contract drives it. */
export interface StoreUnderTest {
  /** Makes a new, empty place for a store (a folder, a database); called before each test. */
  fresh(): Promise<void>;
  /** Opens the store at the current place; the key file defaults to one in the test's folder. */
  open(options?: { keyFile?: string }): Promise<BridgeStore>;
  /** Everything the store keeps, as text: where a readable credential would show. */
  rawText(): Promise<string>;
  /** Removes the current place. */
  cleanup(): Promise<void>;
}

export function describeStoreContract(name: string, under: StoreUnderTest): void {
  describe(`store contract: ${name}`, () => {
    let store: BridgeStore;

    beforeEach(async () => {
      await under.fresh();
      store = await under.open();
    });

    afterEach(async () => {
      await store.close();
      await under.cleanup();
    });

    /** Closes the store and opens it again, as a restart of the bridge does. */
    async function reopen(): Promise<void> {
      await store.close();
      store = await under.open();
    }

    const txn = transactionId;
    const message = (body: string): NewInboxItem => ({
      kind: "timeline",
      event: { type: "m.room.message", room_id: "!room:example.org", content: { msgtype: "m.text", body } },
    });
    const typing: NewInboxItem = {
      kind: "ephemeral",
      event: { type: "m.typing", content: { user_ids: [] } },
    };

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

    describeGroupedWrites({
      current: () => store,
      reopen,
      async closeThenOpen(pending) {
        await store.close();
        await Promise.all(pending);
        store = await under.open();
      },
    });

    describe("close", () => {
      it("waits for an acceptTransaction in flight", async () => {
        const accepting = store.acceptTransaction(txn("late"), [message("a")]);
        await store.close();
        assert.ok(await accepting);
        store = await under.open();
        assert.deepEqual(bodies(await store.pendingInbox()), ["a"]);
      });
    });

    describe("remote journal", () => {
      it("keeps reported events in order until completed, and continues numbering after reopen", async () => {
        const a = await store.recordRemoteEvent({ kind: "message", payload: '{"body":"a"}' });
        const b = await store.recordRemoteEvent({ kind: "message", payload: '{"body":"b"}' });
        await store.completeRemoteEvent(a);
        await reopen();
        const c = await store.recordRemoteEvent({ kind: "typing", payload: "{}" });
        assert.ok(c > b);
        assert.deepEqual(await store.pendingRemoteEvents(), [
          { seq: b, kind: "message", payload: '{"body":"b"}' },
          { seq: c, kind: "typing", payload: "{}" },
        ]);
      });
    });

    describe("recovered events and the last acceptance", () => {
      it("accepts events read back once, by event id, also when a transaction brings them later", async () => {
        assert.equal(store.lastAcceptedBeforeOpen, null);
        const found = await store.acceptRecovered([event("r1"), event("r2"), event("r1")]);
        assert.deepEqual(bodies(found), ["r1", "r2"]);
        assert.deepEqual(
          found.map((e) => e.txnId),
          ["recovered", "recovered"],
        );
        assert.deepEqual(await store.acceptRecovered([event("r2")]), []);
        const later = stored(await store.acceptTransaction(txn("t1"), [event("r1"), event("t")]));
        assert.deepEqual(bodies(later), ["t"]);
        const at = later[0]?.receivedAt ?? 0;
        await reopen();
        assert.equal(store.lastAcceptedBeforeOpen, at);
      });

      it("keeps an event exactly as the homeserver sent it, \\u0000 and key order included", async () => {
        const odd: NewInboxItem = {
          kind: "timeline",
          event: {
            type: "m.room.message",
            event_id: "$odd",
            content: { body: "a\u0000b", z: 1, a: [1.5, null] },
          },
        };
        stored(await store.acceptTransaction(txn("odd"), [odd]));
        await reopen();
        const [entry] = await store.pendingInbox();
        assert.equal(JSON.stringify(entry?.event), JSON.stringify(odd.event));
      });
    });

    describe("notices given", () => {
      it("remembers a notice's situation by room and topic across reopen", async () => {
        const room = parseRoomId("!r:example.org");
        assert.equal(await store.getNoticeGiven(room, "encrypted"), null);
        await store.putNoticeGiven(room, "encrypted", "m.megolm");
        await store.putNoticeGiven(room, "unpermitted:@a:example.org", "level 0");
        await reopen();
        assert.equal(await store.getNoticeGiven(room, "encrypted"), "m.megolm");
        await store.putNoticeGiven(room, "encrypted", "other");
        assert.equal(await store.getNoticeGiven(room, "encrypted"), "other");
        assert.equal(await store.getNoticeGiven(parseRoomId("!s:example.org"), "encrypted"), null);
      });
    });

    describe("credentials", () => {
      const ALICE = parseUserId("@alice:example.org");
      const PASSWORD = '  xmpp pass  word "with" \\ and é ';

      it("keeps login sessions sealed, and gives them back whole, also after a restart", async () => {
        const login = {
          remoteUserId: remoteUserId("alice@xmpp.example"),
          session: { jid: "a@x", password: PASSWORD },
        };
        await store.putLogin(ALICE, login);
        assert.deepEqual(await store.getLogin(ALICE), login);
        await reopen();
        assert.deepEqual(await store.getLogin(ALICE), login);
        assert.deepEqual(await store.listLogins(), [{ userId: ALICE, login }]);
        assert.equal(await store.getUserByRemote(login.remoteUserId), ALICE);
        const raw = await under.rawText();
        assert.ok(raw.includes("alice@xmpp.example"), "the remote id stays readable, for the index");
        for (const part of ["xmpp pass", "pass  word", "with"]) assert.ok(!raw.includes(part), part);
        await store.deleteLogin(ALICE);
        assert.equal(await store.getLogin(ALICE), null);
        assert.equal(await store.getUserByRemote(login.remoteUserId), null);
      });

      it("leaves out a login sealed with another key: its user logs in again", async () => {
        await store.putLogin(ALICE, { remoteUserId: remoteUserId("alice"), session: { password: PASSWORD } });
        await store.close();
        store = await under.open({
          keyFile: join(mkdtempSync(join(tmpdir(), "bridge-other-key-")), "other.key"),
        });
        assert.equal(await store.getLogin(ALICE), null);
        assert.deepEqual(await store.listLogins(), []);
        await store.deleteLogin(ALICE);
        assert.equal(await store.getUserByRemote(remoteUserId("alice")), null);
      });

      it("keeps the bridge's own secrets sealed, the same value at every start", async () => {
        const made = await store.bridgeSecret("media-links", () => "new-media-key-value");
        assert.equal(await store.bridgeSecret("media-links", () => "other"), made);
        await reopen();
        assert.equal(await store.bridgeSecret("media-links", () => "other"), "new-media-key-value");
        assert.ok(!(await under.rawText()).includes("media-key-value"));
      });

      it("reports itself healthy while it can be written", async () => {
        assert.deepEqual(store.health(), { ok: true });
      });
    });
  });
}
