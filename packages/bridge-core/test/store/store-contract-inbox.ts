// Part of the store contract (store-contract.ts): what the store keeps of the homeserver's transactions and of
// the remote side's events until the bridge has handled them, and how it tells a replay from new work.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { transactionId } from "../../src/ids.ts";
import type { AcceptedTransaction, NewInboxItem } from "../../src/store/store.ts";
import type { ContractSession } from "./store-contract.ts";

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

export function describeInboxContract(ctx: ContractSession): void {
  describe("acceptTransaction", () => {
    it("stores the events in order with increasing seq", async () => {
      const before = Date.now();
      const first = stored(
        await ctx.store.acceptTransaction(txn("t1"), [message("a"), typing, message("b")]),
      );
      const second = stored(await ctx.store.acceptTransaction(txn("t2"), [message("c")]));
      assert.deepEqual(seqs(first), [0, 1, 2]);
      assert.deepEqual(seqs(second), [3]);
      assert.deepEqual(first[1], { ...typing, seq: 1, txnId: "t1", receivedAt: first[1]?.receivedAt });
      assert.ok((first[0]?.receivedAt ?? 0) >= before);
      assert.deepEqual(await ctx.store.pendingInbox(), [...first, ...second]);
    });

    it("returns null for the same transaction id with the same events, and stores nothing more", async () => {
      assert.ok(await ctx.store.acceptTransaction(txn("t1"), [event("a"), typing]));
      assert.equal(await ctx.store.acceptTransaction(txn("t1"), [event("a"), typing]), null);
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["a", "m.typing"]);
    });

    it("takes a known id with other events as a new transaction: a homeserver that numbers anew after a restart", async () => {
      stored(await ctx.store.acceptTransaction(txn("1"), [event("a"), event("b")]));
      const again = await ctx.store.acceptTransaction(txn("1"), [event("c"), typing]);
      assert.deepEqual(again && { ...again, entries: bodies(again.entries) }, {
        entries: ["c", "m.typing"],
        alreadyAccepted: 0,
        reusedId: true,
      });
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["a", "b", "c", "m.typing"]);
      // The newest content under the id is what a replay is recognised by.
      assert.equal(await ctx.store.acceptTransaction(txn("1"), [event("c"), typing]), null);
    });

    it("stores an event once, whichever transaction brings it again: a retry with more events in it", async () => {
      stored(await ctx.store.acceptTransaction(txn("t1"), [event("a")]));
      const retried = await ctx.store.acceptTransaction(txn("t1"), [event("a"), event("b"), event("c")]);
      assert.deepEqual(retried && { ...retried, entries: bodies(retried.entries) }, {
        entries: ["b", "c"],
        alreadyAccepted: 1,
        reusedId: true,
      });
      const other = await ctx.store.acceptTransaction(txn("t9"), [event("c"), event("d"), event("d")]);
      assert.deepEqual(other && bodies(other.entries), ["d"]);
      assert.equal(other?.alreadyAccepted, 2);
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["a", "b", "c", "d"]);
    });

    it("remembers accepted events after they were handled and after close and reopen", async () => {
      const [entry] = stored(await ctx.store.acceptTransaction(txn("t1"), [event("a")]));
      await ctx.store.completeInbox(entry!.seq);
      await ctx.reopen();
      assert.deepEqual(
        stored(await ctx.store.acceptTransaction(txn("1"), [event("a"), event("b")])).length,
        1,
      );
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["b"]);
    });

    it("remembers an empty transaction too", async () => {
      assert.deepEqual(stored(await ctx.store.acceptTransaction(txn("empty"), [])), []);
      assert.equal(await ctx.store.acceptTransaction(txn("empty"), []), null);
    });

    it("still refuses a replayed transaction after close and reopen", async () => {
      await ctx.store.acceptTransaction(txn("t1"), [message("a")]);
      await ctx.store.completeInbox(0);
      await ctx.reopen();
      assert.equal(await ctx.store.acceptTransaction(txn("t1"), [message("a")]), null);
      assert.deepEqual(await ctx.store.pendingInbox(), []);
    });

    it("accepts a transaction once when the same id arrives concurrently", async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          ctx.store.acceptTransaction(txn("dup"), [message("a"), message("b")]),
        ),
      );
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["a", "b"]);
    });

    it("gives concurrent distinct transactions distinct seqs", async () => {
      const results = await Promise.all(
        ["x", "y", "z"].map((id) => ctx.store.acceptTransaction(txn(id), [message(id), message(id)])),
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
      await ctx.store.acceptTransaction(txn("old"), [event("old")]);
      await ctx.store.completeInbox(0);
      t.mock.timers.setTime(start + 24 * 3600 * 1000);
      await ctx.reopen();
      assert.equal(
        await ctx.store.acceptTransaction(txn("old"), [event("old")]),
        null,
        "a day later it is still a replay",
      );
      assert.deepEqual(
        stored(await ctx.store.acceptTransaction(txn("new"), [event("old")])),
        [],
        "and the event known",
      );
      t.mock.timers.setTime(start + 8 * 24 * 3600 * 1000);
      await ctx.reopen();
      // Forgetting runs beside the start; closing waits for it.
      await ctx.reopen();
      assert.deepEqual(bodies(stored(await ctx.store.acceptTransaction(txn("old"), [event("old")]))), [
        "old",
      ]);
    });
  });

  describe("inbox", () => {
    it("returns what was not completed, in order, after reopen", async () => {
      await ctx.store.acceptTransaction(txn("t1"), [message("a"), message("b"), message("c")]);
      await ctx.store.acceptTransaction(txn("t2"), [message("d"), message("e")]);
      await ctx.store.completeInbox(1);
      await ctx.store.completeInbox(3);
      await ctx.reopen();
      const pending = await ctx.store.pendingInbox();
      assert.deepEqual(seqs(pending), [0, 2, 4]);
      assert.deepEqual(bodies(pending), ["a", "c", "e"]);
      assert.deepEqual(
        pending.map((e) => e.txnId),
        ["t1", "t1", "t2"],
      );
    });

    it("orders by seq numerically, not as text", async () => {
      const items = Array.from({ length: 12 }, (_, i) => message(String(i)));
      await ctx.store.acceptTransaction(txn("many"), items);
      await ctx.store.completeInbox(0);
      assert.deepEqual(seqs(await ctx.store.pendingInbox()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });

    it("completeInbox removes the entry and ignores an unknown seq", async () => {
      await ctx.store.acceptTransaction(txn("t1"), [message("a"), message("b")]);
      await ctx.store.completeInbox(0);
      await ctx.store.completeInbox(0);
      await ctx.store.completeInbox(99);
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["b"]);
      await ctx.store.completeInbox(1);
      assert.deepEqual(await ctx.store.pendingInbox(), []);
    });

    it("continues seq after reopen without overwriting pending entries", async () => {
      await ctx.store.acceptTransaction(txn("t1"), [message("a"), message("b"), message("c")]);
      await ctx.store.completeInbox(0);
      await ctx.store.completeInbox(1);
      await ctx.reopen();
      const more = await ctx.store.acceptTransaction(txn("t2"), [message("d"), message("e")]);
      assert.deepEqual(seqs(more?.entries ?? []), [3, 4]);
      const pending = await ctx.store.pendingInbox();
      assert.deepEqual(seqs(pending), [2, 3, 4]);
      assert.deepEqual(bodies(pending), ["c", "d", "e"]);
    });
  });

  describe("close", () => {
    it("waits for an acceptTransaction in flight", async () => {
      const accepting = ctx.store.acceptTransaction(txn("late"), [message("a")]);
      await ctx.store.close();
      assert.ok(await accepting);
      ctx.store = await ctx.under.open();
      assert.deepEqual(bodies(await ctx.store.pendingInbox()), ["a"]);
    });
  });

  describe("remote journal", () => {
    it("keeps reported events in order until completed, and continues numbering after reopen", async () => {
      const a = await ctx.store.recordRemoteEvent({ kind: "message", payload: '{"body":"a"}' });
      const b = await ctx.store.recordRemoteEvent({ kind: "message", payload: '{"body":"b"}' });
      await ctx.store.completeRemoteEvent(a);
      await ctx.reopen();
      const c = await ctx.store.recordRemoteEvent({ kind: "typing", payload: "{}" });
      assert.ok(c > b);
      assert.deepEqual(await ctx.store.pendingRemoteEvents(), [
        { seq: b, kind: "message", payload: '{"body":"b"}' },
        { seq: c, kind: "typing", payload: "{}" },
      ]);
    });
  });

  describe("recovered events and the last acceptance", () => {
    it("accepts events read back once, by event id, also when a transaction brings them later", async () => {
      assert.equal(ctx.store.lastAcceptedBeforeOpen, null);
      const found = await ctx.store.acceptRecovered([event("r1"), event("r2"), event("r1")]);
      assert.deepEqual(bodies(found), ["r1", "r2"]);
      assert.deepEqual(
        found.map((e) => e.txnId),
        ["recovered", "recovered"],
      );
      assert.deepEqual(await ctx.store.acceptRecovered([event("r2")]), []);
      const later = stored(await ctx.store.acceptTransaction(txn("t1"), [event("r1"), event("t")]));
      assert.deepEqual(bodies(later), ["t"]);
      const at = later[0]?.receivedAt ?? 0;
      await ctx.reopen();
      assert.equal(ctx.store.lastAcceptedBeforeOpen, at);
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
      stored(await ctx.store.acceptTransaction(txn("odd"), [odd]));
      await ctx.reopen();
      const [entry] = await ctx.store.pendingInbox();
      assert.equal(JSON.stringify(entry?.event), JSON.stringify(odd.event));
    });
  });
}
