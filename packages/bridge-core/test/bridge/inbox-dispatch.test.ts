// An accepted message is handed to the network, then its mapping and its inbox entry's completion go to disk in one
// store write: each event of a room waits for one write before the next starts, not two.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InboxDispatch } from "../../src/bridge/inbox-dispatch.ts";
import { transactionId } from "../../src/ids.ts";
import type { Logger } from "../../src/log.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { fromAlice, PORTAL, relayingPortal } from "./bridge-fixture.ts";

const portal = relayingPortal();

/** Every batch the level store writes from now on (its database is not part of the store's interface). */
function batchesOf(store: object): unknown[][] {
  const db = (store as { db: { batch(ops: unknown[], options?: unknown): Promise<void> } }).db;
  const batches: unknown[][] = [];
  const batch = db.batch.bind(db);
  db.batch = (ops, options) => {
    batches.push(ops);
    return batch(ops, options);
  };
  return batches;
}

describe("inbox dispatch", () => {
  it("writes a message's mapping and its completion together, and the room's next message goes after", async () => {
    const h = await portal(["automaticIdentity"]);
    const first = fromAlice("m.room.message", { msgtype: "m.text", body: "one" });
    const second = fromAlice("m.room.message", { msgtype: "m.text", body: "two" });
    const accepted = await h.store.acceptTransaction(transactionId("t1"), [
      { kind: "timeline", event: first },
      { kind: "timeline", event: second },
    ]);
    assert.ok(accepted);
    const batches = batchesOf(h.store);
    const queue = new KeyedQueue();
    const dispatch = new InboxDispatch({
      queue,
      handle: (entry) => h.handler.handle(entry),
      crypto: () => null,
      store: () => h.store,
      stopping: new AbortController().signal,
      logger: () => ({}) as Logger,
    });
    for (const entry of await h.store.pendingInbox()) dispatch.dispatch(entry);
    await queue.idle();

    assert.deepEqual(
      h.network.filter((d) => d.method === "sendMessage").map((d) => d.value["text"]),
      [[{ type: "text", text: "one" }], [{ type: "text", text: "two" }]],
    );
    // One write per message: its two mapping records (by Matrix and by remote id) and the entry's deletion.
    assert.deepEqual(
      batches.map((ops) => ops.map((op) => (op as { type: string }).type)),
      [
        ["put", "put", "del"],
        ["put", "put", "del"],
      ],
    );
    assert.deepEqual(await h.store.pendingInbox(), []);
    for (const event of [first, second])
      assert.ok(await h.store.getEventLinkByMatrix(PORTAL, event.event_id as never), "mapped");
  });
});
